// Settings for the local Temporal dev server that make `omnijourney erase` finish in seconds. The server
// deletes an execution only once its close has been checkpointed by the transfer and visibility queues, and
// by default it checkpoints every 30 s, so each deletion would wait that long (retrying with back-off).
export function devServerEraseArgs(): string[] {
  return [
    '--dynamic-config-value',
    'history.transferProcessorUpdateAckInterval="1s"',
    '--dynamic-config-value',
    'history.visibilityProcessorUpdateAckInterval="1s"',
  ];
}

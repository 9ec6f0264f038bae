// The worker's workflow bundle entry point.
export { customerWorkflow } from './customer';
export { journeyWorkflow } from './journey';

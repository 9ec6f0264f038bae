// The tests' one poller lives in harness/ (the servers and processes there wait with it too, and harness/ may
// not import test/); tests import it from here like their other helpers.
export { eventually, type Answer, type EventuallyOptions } from '../../harness/eventually';

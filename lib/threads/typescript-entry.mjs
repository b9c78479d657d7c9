// Boots a worker thread whose real entry is TypeScript. Threads do not inherit the loader hooks
// that tsx installed in the main thread, so register them here, then import the entry, whose
// URL is the thread's last argv element.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[process.argv.length - 1]);

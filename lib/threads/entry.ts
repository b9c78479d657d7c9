/**
 * The URL to start a worker thread from. A TypeScript entry needs tsx's loader inside the
 * thread, so it starts from a small bootstrap that registers tsx and then imports the entry
 * (passed as the thread's last argv element).
 */
export function threadEntry(entry: URL): URL {
  return entry.pathname.endsWith('.ts') ? new URL('./typescript-entry.mjs', import.meta.url) : entry;
}

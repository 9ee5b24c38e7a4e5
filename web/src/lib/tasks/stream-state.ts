/** Whether the progress stream is live (stream.ts sets it; the polling schedule reads it). */
let live = false

/** True while the stream delivers: progress polling waits. */
export function streamLive(): boolean {
  return live
}

/** Set by stream.ts only; return whether it changed. */
export function streamLiveSet(next: boolean): boolean {
  const changed = live !== next
  live = next
  return changed
}

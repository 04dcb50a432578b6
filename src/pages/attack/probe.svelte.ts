// "Probe a digit" / "Probe a face": the image the user drew or loaded, and what the chosen target answers for it. The worker does the
// tensor work; this keeps at most one request in flight and sends the latest image when it returns (drawing moves
// faster than a busy worker answers).
import { WorkerCrashedError, type EngineClient } from '../../ui/engine-client.ts';
import { messageOf } from '../../ui/engine-lab.svelte.ts';
import type { ProbeResult } from '../../worker/protocol.ts';

/** What the probe needs of the page: the engine (when ready), the chosen target, and where errors go. */
export interface ProbeHost {
  client(): EngineClient | undefined;
  targetId(): string;
  /** The image side the chosen data set's targets read: an image of another size (the data set changed) is dropped. */
  side(): number;
  onError(title: string, detail: string): void;
}

export class DigitProbe {
  pixels = $state.raw<Float32Array | null>(null);
  /** How the image came (a file's name and treatment), or null for a drawing. */
  note = $state<string | null>(null);
  result = $state.raw<ProbeResult | null>(null);
  private inFlight = false;
  private again = false;

  constructor(private readonly host: ProbeHost) {}

  /** A new image (null: the pad was cleared). */
  set(pixels: Float32Array | null, note: string | null = null): void {
    this.pixels = pixels;
    this.note = note;
    if (!pixels) this.result = null;
    void this.refresh();
  }

  /** An image file that could not be read (the page's message list says so). */
  fileError(title: string, detail: string): void {
    this.host.onError(title, detail);
  }

  /** Asks the target about the current image (again after the target or the engine changed). */
  async refresh(): Promise<void> {
    if (this.inFlight) { this.again = true; return; }
    this.inFlight = true;
    try {
      do {
        this.again = false;
        const client = this.host.client(), pixels = this.pixels, targetId = this.host.targetId();
        if (pixels && pixels.length !== this.host.side() ** 2) { this.set(null); break; }
        if (!client || !pixels) break;
        try {
          const result = await client.probe(targetId, pixels);
          // A cleared pad or another target while this was in flight: the loop asks again, or shows nothing.
          if (this.pixels && this.host.targetId() === result.targetId) this.result = result;
        } catch (e) {
          if (!(e instanceof WorkerCrashedError)) this.host.onError('The target could not be probed', messageOf(e));
          break;
        }
      } while (this.again);
    } finally {
      this.inFlight = false;
    }
  }
}

// An embedded attack plays like a figure in an article (Distill's d-figure): it starts when the reader scrolls near
// it, pauses when they scroll away and resumes when they come back. A reader's own Pause is never undone by scrolling.
import type { RunStatus } from '../attack/lab.svelte.ts';

/** What the autoplay needs of the attack lab. */
export interface Playable {
  readonly canRun: boolean;
  readonly canPause: boolean;
  readonly runStatus: RunStatus;
  run(): Promise<void>;
  pause(): Promise<void>;
}

export class ViewportAutoplay {
  private visible = false;
  /** The first run was started (by scrolling or by the reader): scrolling never starts another. */
  private started = false;
  /** The run was paused because it left the viewport (so coming back resumes it). */
  private pausedOffscreen = false;

  constructor(private readonly lab: Playable) {}

  /** The view came near the viewport, or left it. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.update();
  }

  /** Acts on the current state (call it again whenever the lab's state changes: the engine got ready, ...). */
  update(): void {
    const lab = this.lab;
    if (!this.visible) {
      if (lab.canPause) {
        this.pausedOffscreen = true;
        void lab.pause();
      }
    } else if (!this.started && lab.runStatus === 'idle' && lab.canRun) {
      this.started = true;
      void lab.run();
    } else if (this.pausedOffscreen && lab.runStatus === 'paused' && lab.canRun) {
      this.pausedOffscreen = false;
      void lab.run();
    }
  }

  /** The reader pressed Run or Pause: the button decides from now on; scrolling only pauses and resumes a run. */
  toggle(): void {
    this.started = true;
    this.pausedOffscreen = false;
    void (this.lab.canPause ? this.lab.pause() : this.lab.run());
  }
}

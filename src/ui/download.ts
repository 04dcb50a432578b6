// Saving what a page made as a file: a blob URL on the page itself, so nothing leaves the browser.

export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadText(text: string, name: string, type: string): void {
  downloadBlob(new Blob([text], { type }), name);
}

/** A timestamp for file names: "2026-02-03-04-05-06". */
export function fileStamp(iso: string = new Date().toISOString()): string {
  return iso.slice(0, 19).replace(/[:T]/g, '-');
}

// The demo blog page's own script (the snippet README's "Embed it" gives bloggers): sizes each playground iframe to
// the height its content reports, so there is no scrollbar and no gap. A file, not inline: the page's
// Content-Security-Policy runs no inline script.
addEventListener('message', (e: MessageEvent) => {
  if (e.data?.type !== 'inversion-playground:height') return;
  for (const frame of document.querySelectorAll<HTMLIFrameElement>('iframe.inversion-playground')) {
    if (frame.contentWindow === e.source) frame.style.height = `${e.data.height}px`;
  }
});

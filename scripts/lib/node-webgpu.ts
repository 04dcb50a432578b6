// WebGPU in Node through Dawn (the `webgpu` npm package), for the benchmark on a GPU machine. Returns why it is
// unavailable instead of throwing. Without a GPU, Dawn can run on Chromium's SwiftShader Vulkan ICD (CPU, slow):
// set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
import * as tf from '@tensorflow/tfjs';

export async function registerNodeWebGpu(): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  let webgpu: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (e) {
    return { ok: false, reason: `the 'webgpu' package did not load: ${(e as Error).message}` };
  }
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]);
  // Node 20's navigator is a getter: define it.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return { ok: false, reason: 'Dawn found no GPU adapter (needs Vulkan + glvnd libraries and a driver ICD)' };
  await import('@tensorflow/tfjs-backend-webgpu');
  const info = (adapter as unknown as { info?: { vendor?: string; architecture?: string; description?: string; device?: string } }).info;
  const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  if (!tf.findBackendFactory('webgpu')) return { ok: false, reason: 'tfjs webgpu backend did not register' };
  return { ok: true, adapter: name };
}

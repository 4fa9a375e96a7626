/**
 * The three functions racerig uses from hdr-histogram-js (build a JS histogram, encode and decode the
 * compressed base64 form), loaded without the rest of the package. Its entry module also loads its
 * WebAssembly build (a 39 KB base64 module, its loader and pako), which racerig never uses: importing
 * the entry costs ~80 ms of CPU in every thread that does (the main thread and each worker), these
 * modules ~45 ms. hdr-histogram-js 3 has no `exports` map, so the files are reachable; if a later
 * version moves them, the package entry is used instead, so this never breaks a run.
 */
import { createRequire } from 'node:module';
import type * as Hdr from 'hdr-histogram-js';

const require = createRequire(import.meta.url);

/** HistogramParts are the functions racerig calls, as the package entry exports them. */
export type HistogramParts = Pick<typeof Hdr, 'build' | 'encodeIntoCompressedBase64' | 'decodeFromCompressedBase64'>;

type Constructor = new (lowest: number, highest: number, digits: number) => Hdr.Histogram & { autoResize: boolean };

/** loadParts builds HistogramParts from the package's JS-only modules, or returns undefined if they are not what is expected. */
function loadParts(): HistogramParts | undefined {
  try {
    const encoding = require('hdr-histogram-js/dist/JsHistogram.encoding.js') as { decompress: (data: Uint8Array) => Uint8Array };
    const { JsHistogram } = require('hdr-histogram-js/dist/JsHistogram.js') as {
      JsHistogram: { decode: (data: Uint8Array, bitBucketSize: number, minBar: number) => Hdr.Histogram; prototype: object };
    };
    const { constructorFromBucketSize } = require('hdr-histogram-js/dist/JsHistogramFactory.js') as { constructorFromBucketSize: (b: unknown) => Constructor };
    // base64-js as the package itself resolves it (the entry decodes with it).
    const base64 = createRequire(require.resolve('hdr-histogram-js/dist/JsHistogram.encoding.js'))('base64-js') as { toByteArray: (s: string) => Uint8Array };
    if (
      typeof encoding.decompress !== 'function' ||
      typeof JsHistogram.decode !== 'function' ||
      typeof (JsHistogram.prototype as { encodeIntoCompressedBase64?: unknown }).encodeIntoCompressedBase64 !== 'function' ||
      typeof constructorFromBucketSize !== 'function' ||
      typeof base64.toByteArray !== 'function'
    ) {
      return undefined;
    }
    // As the entry's build, encodeIntoCompressedBase64 and decodeFromCompressedBase64 do for JS histograms.
    const build: HistogramParts['build'] = (request = {}) => {
      const Histogram = constructorFromBucketSize(request.bitBucketSize ?? 32);
      const h = new Histogram(request.lowestDiscernibleValue ?? 1, request.highestTrackableValue ?? 2, request.numberOfSignificantValueDigits ?? 3);
      h.autoResize = request.autoResize ?? true;
      return h;
    };
    const encodeIntoCompressedBase64: HistogramParts['encodeIntoCompressedBase64'] = (h, level) =>
      (h as unknown as { encodeIntoCompressedBase64: (level?: number) => string }).encodeIntoCompressedBase64(level);
    const decodeFromCompressedBase64: HistogramParts['decodeFromCompressedBase64'] = (text, bitBucketSize = 32, _wasm = false, minBar = 0) =>
      JsHistogram.decode(encoding.decompress(base64.toByteArray(text.trim())), bitBucketSize as number, minBar);
    return { build, encodeIntoCompressedBase64, decodeFromCompressedBase64 };
  } catch {
    return undefined;
  }
}

const jsParts = loadParts();

/** fromJsModules tells whether the JS-only modules were loaded (false: the package entry, after a layout change). */
export const fromJsModules = jsParts !== undefined;

/** build, encodeIntoCompressedBase64 and decodeFromCompressedBase64 behave as hdr-histogram-js's own (JS histograms only). */
export const { build, encodeIntoCompressedBase64, decodeFromCompressedBase64 }: HistogramParts = jsParts ?? (require('hdr-histogram-js') as typeof Hdr);

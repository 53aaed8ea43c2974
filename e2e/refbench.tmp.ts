import { simulate } from '@pipeline/loadtest';
import { fraudFeatureSet, referenceStream } from '@pipeline/feature-sets';
const DAY = 86_400_000;
const ref = referenceStream(fraudFeatureSet, 31 * DAY);
const t0 = performance.now();
let n = 0, l = 0;
for (const e of simulate({ seed: 7, days: Number(process.argv[2] ?? 3), customers: 2000, terminals: 1000 })) {
  if (e.kind === 'label') { ref.label(e.value); l++; }
  else { ref.transaction(e.value); n++; if (n % 10000 === 0) console.log(n, ((performance.now()-t0)/1000).toFixed(1)); }
}
console.log({ n, l, s: (performance.now() - t0) / 1000 });

/**
 * Contributions by per-feature substitution: feature j's contribution to a row's score is
 * score(x) − score(x with x_j replaced by the model's reference value for j) (the training median,
 * stored in the model's metadata). Positive: the feature's actual value pushed the score up. The top
 * `k` positive contributions, largest first; a feature at its reference value contributes 0.
 */
export function topContributions(score: number, substituted: ArrayLike<number>, k: number): [number, number][] {
  const top: [number, number][] = [];
  for (let j = 0; j < substituted.length; j++) {
    const value = score - (substituted[j] as number);
    if (!(value > 0)) continue;
    let at = top.length;
    while (at > 0 && (top[at - 1] as [number, number])[1] < value) at--;
    if (at < k) {
      top.splice(at, 0, [j, value]);
      if (top.length > k) top.pop();
    }
  }
  return top;
}

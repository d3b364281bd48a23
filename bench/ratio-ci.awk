# SPDX-License-Identifier: MIT
# How sure is a ratio of two percentiles? A bootstrap: resample both sets of
# samples (with replacement, same sizes) R times, take the P-th percentile of
# each, and report the ratio B/A measured, its 5th-95th percentile over the
# resamples, and the share of resamples with the ratio at most LIMIT.
#   awk -v p=99 -v limit=2 [-v R=2000] -f bench/ratio-ci.awk A B
# prints "RATIO LO HI SHARE" (SHARE in percent). The percentile is the one
# bench/door.sh uses: the ceil(n*P/100)-th smallest sample. A fixed seed makes
# the interval repeatable for the same samples.
FNR == 1 { f++ }
f == 1 && NF { a[++na] = $1 }
f == 2 && NF { b[++nb] = $1 }
# The P-th percentile of n values drawn by index from v (idx[1..n]): keep the
# k largest, k = n - ceil(n*P/100) + 1 (small), and return the smallest of them.
function pick(v, n, idx,    k, i, j, x, top, m) {
	k = n - int(n * p / 100 + 0.999) + 1
	if (k < 1) k = 1
	m = 0
	for (i = 1; i <= n; i++) {
		x = v[idx[i]]
		if (m < k) {
			j = ++m
		} else if (x > top[m]) {
			j = m
		} else continue
		while (j > 1 && top[j - 1] < x) { top[j] = top[j - 1]; j-- }
		top[j] = x
	}
	return top[m]
}
function ratio_of(ia, ib) { return pick(b, nb, ib) / pick(a, na, ia) }
END {
	if (!na || !nb) { print "no samples"; exit 1 }
	if (!R) R = 2000
	srand(1)
	for (i = 1; i <= na; i++) ia[i] = i
	for (i = 1; i <= nb; i++) ib[i] = i
	r0 = ratio_of(ia, ib)
	within = 0
	for (r = 1; r <= R; r++) {
		for (i = 1; i <= na; i++) ia[i] = int(rand() * na) + 1
		for (i = 1; i <= nb; i++) ib[i] = int(rand() * nb) + 1
		rs[r] = ratio_of(ia, ib)
		if (rs[r] <= limit) within++
	}
	# the R ratios in order (a shell sort: mawk has no asort)
	for (gap = int(R / 2); gap > 0; gap = int(gap / 2))
		for (i = gap + 1; i <= R; i++) {
			x = rs[i]
			for (j = i; j > gap && rs[j - gap] > x; j -= gap) rs[j] = rs[j - gap]
			rs[j] = x
		}
	lo = rs[int(R * 0.05) + 1]; hi = rs[int(R * 0.95)]
	printf "%.2f %.2f %.2f %.0f\n", r0, lo, hi, 100 * within / R
}

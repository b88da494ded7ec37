package tracker

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// SeedParam is the parameter that tells repeats of one setting apart: groups
// never split on it.
const SeedParam = "seed"

// Group is the runs that share the values of the grouping parameters: the
// seeds of one setting of a sweep.
type Group struct {
	// Params holds each grouping parameter's value; "" when unset.
	Params map[string]string `json:"params"`
	// Label is Params as "key=value key=value", in key order.
	Label string    `json:"label"`
	Runs  []RunInfo `json:"runs"`
	// Finals holds, per metric, the interval of the runs' final values.
	Finals map[string]Interval `json:"finals"`
}

// GroupKeys returns the parameters to group runs by when none are named:
// every parameter, except the seed, whose value differs between some of the
// runs (a run without it differs from one with it).
func GroupKeys(runs []RunInfo) []string {
	var keys []string
	for _, r := range runs {
		for k := range r.Params {
			if k != SeedParam && !slices.Contains(keys, k) && differs(runs, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

func differs(runs []RunInfo, key string) bool {
	first, firstSet := runs[0].Params[key]
	for _, r := range runs[1:] {
		if v, set := r.Params[key]; v != first || set != firstSet {
			return true
		}
	}
	return false
}

// GroupRuns splits runs by their values of the parameters by (GroupKeys when
// by is empty) and computes each group's 95 % interval of every metric's
// final (last) value. Groups come in label order, runs in the given order.
func GroupRuns(runs []RunInfo, by []string) []Group {
	if len(by) == 0 {
		by = GroupKeys(runs)
	}
	keys := slices.Sorted(slices.Values(by))
	index := map[string]int{}
	var groups []Group
	for _, r := range runs {
		params := make(map[string]string, len(keys))
		parts := make([]string, len(keys))
		for i, k := range keys {
			params[k] = r.Params[k]
			parts[i] = k + "=" + r.Params[k]
		}
		label := strings.Join(parts, " ")
		i, ok := index[label]
		if !ok {
			i = len(groups)
			index[label] = i
			groups = append(groups, Group{Params: params, Label: label})
		}
		groups[i].Runs = append(groups[i].Runs, r)
	}
	for i := range groups {
		g := &groups[i]
		finals := map[string][]float64{}
		for _, r := range g.Runs {
			for k, m := range r.Metrics {
				if m.Count > 0 && !math.IsNaN(m.Last) && !math.IsInf(m.Last, 0) {
					finals[k] = append(finals[k], m.Last)
				}
			}
		}
		g.Finals = make(map[string]Interval, len(finals))
		for k, v := range finals {
			g.Finals[k] = TInterval(v, 0.95)
		}
	}
	slices.SortFunc(groups, func(a, b Group) int { return cmp.Compare(a.Label, b.Label) })
	return groups
}

// Interval is a mean with a two-sided confidence interval Mean ± HalfWidth.
// HalfWidth is NaN when N < 2 (no spread to estimate).
type Interval struct {
	N         int       `json:"n"`
	Mean      JSONFloat `json:"mean"`
	StdDev    JSONFloat `json:"stddev"`
	HalfWidth JSONFloat `json:"half_width"`
	Level     float64   `json:"level"`
}

// TInterval is the Student-t confidence interval of the mean of values at the
// given level (0.95 for 95 %): mean ± t(1−(1−level)/2, n−1) · s/√n, with s the
// sample standard deviation (n−1 denominator). It assumes the values are
// independent draws from a roughly normal distribution, as final metrics over
// seeds are treated.
func TInterval(values []float64, level float64) Interval {
	n := len(values)
	iv := Interval{N: n, Level: level, Mean: JSONFloat(math.NaN()), StdDev: JSONFloat(math.NaN()), HalfWidth: JSONFloat(math.NaN())}
	if n == 0 {
		return iv
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	mean := sum / float64(n)
	iv.Mean = JSONFloat(mean)
	if n < 2 {
		return iv
	}
	var ss float64
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(n-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-level)/2)
	iv.StdDev = JSONFloat(sd)
	iv.HalfWidth = JSONFloat(t * sd / math.Sqrt(float64(n)))
	return iv
}

// Low is the interval's lower end.
func (iv Interval) Low() float64 { return float64(iv.Mean - iv.HalfWidth) }

// High is the interval's upper end.
func (iv Interval) High() float64 { return float64(iv.Mean + iv.HalfWidth) }

// Overlaps reports whether the two intervals share a point. An interval
// without a width (one value) is its mean alone; an interval without a mean
// overlaps nothing.
func (iv Interval) Overlaps(other Interval) bool {
	lo1, hi1 := iv.bounds()
	lo2, hi2 := other.bounds()
	if math.IsNaN(lo1) || math.IsNaN(lo2) {
		return false
	}
	return lo1 <= hi2 && lo2 <= hi1
}

func (iv Interval) bounds() (lo, hi float64) {
	if math.IsNaN(float64(iv.HalfWidth)) {
		return float64(iv.Mean), float64(iv.Mean)
	}
	return iv.Low(), iv.High()
}

// BandPoint is a group's metric at one step: the interval of the values its
// runs logged at that step.
type BandPoint struct {
	Step int64 `json:"step"`
	Interval
}

// CurveBand lines up the runs' series of one metric by step and returns, for
// every step any run logged, the level interval (TInterval) over the runs'
// values at that step, in step order: a curve's mean with a confidence band.
// A run that logged a step twice counts with its last value; NaN and ±Inf
// values are left out.
func CurveBand(series [][]MetricPoint, level float64) []BandPoint {
	byStep := map[int64][]float64{}
	for _, points := range series {
		last := map[int64]float64{}
		for _, p := range points {
			last[p.Step] = p.Value
		}
		for step, v := range last {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				byStep[step] = append(byStep[step], v)
			}
		}
	}
	steps := make([]int64, 0, len(byStep))
	for step := range byStep {
		steps = append(steps, step)
	}
	slices.Sort(steps)
	band := make([]BandPoint, len(steps))
	for i, step := range steps {
		band[i] = BandPoint{Step: step, Interval: TInterval(byStep[step], level)}
	}
	return band
}

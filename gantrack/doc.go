// Package gantrack binds the trainer (package gan) to the experiment tracker
// (package tracker), so that every caller records a run the same way: the
// ganbook command, the notebooks' helper (tutorials/tracked) and the
// quality benchmark (bench/quality).
//
// It owns, once: the metric and image keys (derived from gan.StepMetrics),
// the standard tags (trainer version, output directory, configuration
// hash), the reproducibility record, the run status a training error maps
// to (FINISHED, KILLED, FAILED), and the wiring of data, batch source,
// backend and trainer. gan and tracker know nothing of each other; only
// this package imports both.
package gantrack

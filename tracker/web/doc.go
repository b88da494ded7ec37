// Package web serves a tracker store as web pages: a read-only browser for
// runs, their curves and their sample images.
//
// NewHandler returns an http.Handler over any Store (the read-only
// methods of *tracker.Store the pages call); ListenAndServe and Serve run
// it until a context ends. `ganbook ui` opens the store read-only and
// serves it on 127.0.0.1:8080. The pages are:
//
//	/                        the runs, a page at a time (?page=N&per=M), ordered in the
//	                         database (?order=…; by duration in memory), with their count;
//	                         filtered with the tracker's filter syntax (?filter=…; a bad
//	                         filter shows its caret, as typed and when sent); columns chosen
//	                         among the runs' params, metrics and tags (?cols=1&col=params.lr_d…);
//	                         runs ticked on any page compared; rows follow RUNNING runs
//	/runs/ID                 one run: parameters, tags, reproducibility record, one chart
//	                         per metric, the sample grids with a step slider; a RUNNING
//	                         run's page follows it (/runs/ID/live.json)
//	/compare?run=ID&run=ID   parameters side by side (those that differ highlighted),
//	                         one chart per metric with every run overlaid, sample grids
//	                         side by side at a chosen step; RUNNING runs followed
//	/sweeps                  the sweeps: runs grouped by their sweep tag, with trial counts
//	/sweeps/ID               a sweep's trials (the params that vary, final metrics); a
//	                         parallel-coordinates plot of params and a chosen final metric,
//	                         and a scatter of a param against a metric (SVG drawn by
//	                         static/sweep.js; a line or point opens its run); the seed
//	                         groups (tracker.GroupRuns) with their 95 % t-intervals
//	/api/series?key=K&run=ID…          a chart's series, downsampled, as JSON
//	/api/since?key=K&run=ID:STEP…      the points logged after STEP (live charts)
//	/api/filter?filter=F&order=O       whether a filter parses, and where it fails
//	/runs/ID/image?key=K&step=N        one stored PNG
//
// # Charts
//
// Charts are drawn in the browser with uPlot (static/vendor/uplot, from
// npm at the version in its VERSION file, embedded with go:embed; see
// scripts/deps/vendor-uplot.sh): a hover readout of every run's value at
// the cursor, synced across the page's charts; zoom by dragging, pan with
// Shift+drag or the arrow keys, reset with a button or a double click;
// smoothing (TensorBoard's debiased exponential moving average), linear or
// log y, step or wall-time x. A live run's chart appends the points
// /api/since returns rather than reloading.
//
// A chart gets at most 1000 points a line (WithMaxPoints). The server does
// not read the whole series: it asks the store for the series' envelope
// over as many ranges of steps (Store.MetricEnvelope: each range's first,
// last, smallest and largest points, served from rollups that the tracker
// keeps as it writes, a few thousand rows whatever the series' length) and
// downsamples the envelope's points with Largest-Triangle-Three-Buckets,
// which keeps the peaks and dips that striding would lose. Each point
// carries the min and max of its range, which the chart draws as a band
// behind the line while zoomed out. The handler keeps the downsampled
// series in memory, keyed by the run's metric summary so that a new point
// invalidates them; a finished run's series are read once. Serve loads the
// series of the most recent runs in the background at start
// (WithPrewarm). NaN and ±Inf values cannot be drawn; the series counts
// them, and a chart says how many it left out.
//
// # Security
//
// The handler answers GET and HEAD only, and 405 to every other method:
// nothing can be changed through it. ListenAndServe listens on the loopback
// interface unless told otherwise, and on a loopback listener Serve rejects
// requests for other host names (DNS rebinding). Every string from the
// store is escaped by html/template, and the scripts write text with
// textContent; a Content-Security-Policy allows only this server's own scripts
// and styles. Images are served by run id, key and step from the store's
// rows, never from a file path. An unknown run gives a 404 page.
package web

// Package panels renders several gonum plots as one SVG figure, tiled in rows and columns, for
// the notebooks and tutorials whose pictures compare side by side (snapshots of a training run,
// one heat map per hidden unit).
package panels

// Package tracked trains small MNIST GANs with package gan, records them in the experiment
// tracker the way the ganbook command does (the same parameters, metrics and sample images),
// and draws what the tracker holds: loss curves of one or several runs, sample grids side by
// side, a table of the parameters that differ, and seed groups (a setting's runs over several
// seeds with 95 % intervals of their end values and bands around their curves). It serves notebooks 06 and 07 and their
// tutorials.
package tracked

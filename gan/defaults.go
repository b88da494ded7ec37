package gan

// DefaultConfigFor returns the default recipe of the model named model, with
// Model set: the DCGAN's (see [DCGANConfig]) for [ModelDCGAN] and its
// class-conditional [ModelCDCGAN], else the MLP's ([DefaultConfig]), which
// [ModelCMLP] shares. The cdcgan's use of the DCGAN's recipe is measured in
// tutorials/measured/dcgan-default/cdcgan-seed1.txt (one seed: every class
// drawn as asked in at least 96 % of its samples).
func DefaultConfigFor(model string) Config {
	cfg := DefaultConfig()
	if model == ModelDCGAN || model == ModelCDCGAN {
		cfg = DCGANConfig()
	}
	cfg.Model = model
	return cfg
}

// DCGANConfig returns the DCGAN's default recipe, found by tutorial 08's
// measured search (records in tutorials/measured/dcgan-search, the five
// seeds of this recipe in tutorials/measured/dcgan-default): the MLP's
// settings with batch 32, the discriminator's learning rate halved to 1e-4,
// dropout 0.3 in D and no batch norm in D, for 7,000 steps (about nine
// minutes on two cores). With batch 64 and D's batch norm the DCGAN drew 5–7
// of the ten digits; this recipe drew all ten in each of the five seeds
// recorded, at an MNIST-FID of 9.8 to 10.9 (the MLP's recipe over five seeds:
// 9.0 to 10.8).
func DCGANConfig() Config {
	cfg := DefaultConfig()
	cfg.Model = ModelDCGAN
	cfg.Batch = 32
	cfg.Steps = 7000
	cfg.LRD = 1e-4
	cfg.DropoutD = 0.3
	cfg.NormD = NormNone
	return cfg
}

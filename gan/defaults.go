package gan

// DefaultConfigFor returns the default recipe of the model named model, with
// Model set: the DCGAN's (see [DCGANConfig]) for [ModelDCGAN], its first
// version ([CDCGANConfig]) for the class-conditional [ModelCDCGAN], else
// the MLP's ([DefaultConfig]), which [ModelCMLP] shares.
func DefaultConfigFor(model string) Config {
	cfg := DefaultConfig()
	switch model {
	case ModelDCGAN:
		cfg = DCGANConfig()
	case ModelCDCGAN:
		cfg = CDCGANConfig()
	}
	cfg.Model = model
	return cfg
}

// DCGANConfig returns the DCGAN's default recipe, found by tutorial 08's
// measured search (records in tutorials/measured/dcgan-search, the five
// seeds of this recipe in tutorials/measured/dcgan-default): the MLP's
// settings with batch 32, the discriminator's learning rate 1e-4 and the
// generator's 4e-4, dropout 0.3 in D and no batch norm in D, for 7,000
// steps (about nine minutes on two cores), the generator's batch-norm
// statistics measured over 10,000 latent vectors before it draws
// ([Config.PreciseBN]). With batch 64 and D's batch norm the DCGAN drew 5–7
// of the ten digits; with the generator's learning rate at 2e-4 (the first
// recipe) all ten, at a higher FID.
func DCGANConfig() Config {
	cfg := DefaultConfig()
	cfg.Model = ModelDCGAN
	cfg.Batch = 32
	cfg.Steps = 7000
	cfg.LRD = 1e-4
	cfg.LRG = 4e-4
	cfg.DropoutD = 0.3
	cfg.NormD = NormNone
	cfg.PreciseBN = 10000
	return cfg
}

// CDCGANConfig returns the class-conditional DCGAN's default recipe: the
// DCGAN's first recipe (the generator's learning rate 2e-4, the running
// averages of its batch norms), which tutorials/measured/dcgan-default/
// cdcgan-seed1.txt measured (one seed: every class drawn as asked in at
// least 96 % of its samples). The DCGAN's later changes are not measured on
// the cdcgan.
func CDCGANConfig() Config {
	cfg := DCGANConfig()
	cfg.Model = ModelCDCGAN
	cfg.LRG = 2e-4
	cfg.PreciseBN = 0
	return cfg
}

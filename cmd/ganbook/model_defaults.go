package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ganbook/ganbook/gan"
)

// defaultModels are the models whose own defaults the train flags' help
// lists, each named with the class-conditional model that shares its recipe.
var defaultModels = []struct{ model, label string }{
	{gan.ModelMLP, "mlp and cmlp"},
	{gan.ModelDCGAN, "dcgan and cdcgan"},
}

// applyModelDefaults gives every config setting whose flag was not set on the
// command line the default of the chosen --model (gan.DefaultConfigFor):
// `--model dcgan` alone trains the DCGAN's recipe, not the MLP's.
func applyModelDefaults(fl *pflag.FlagSet, cfg *gan.Config) {
	defaults := gan.DefaultConfigFor(cfg.Model)
	dst, src := reflect.ValueOf(cfg).Elem(), reflect.ValueOf(defaults)
	for _, f := range reflect.VisibleFields(dst.Type()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if flag := fl.Lookup(strings.TrimPrefix(configFlag(name), "--")); flag != nil && !flag.Changed {
			dst.FieldByIndex(f.Index).Set(src.FieldByIndex(f.Index))
		}
	}
}

// describeModelDefaults rewrites the help's default of every config flag
// whose default differs between models, e.g. "(default 128 for mlp and cmlp,
// 32 for dcgan and cdcgan)". A setting a model leaves unset (absent from its
// Params) is named only for the models that set it.
func describeModelDefaults(fl *pflag.FlagSet) {
	perModel := make([]map[string]any, len(defaultModels))
	names := map[string]bool{}
	for i, m := range defaultModels {
		perModel[i] = gan.DefaultConfigFor(m.model).Params()
		for name := range perModel[i] {
			names[name] = true
		}
	}
	for name := range names {
		flag := fl.Lookup(strings.TrimPrefix(configFlag(name), "--"))
		if flag == nil || name == "model" {
			continue
		}
		first, firstSet := perModel[0][name]
		differ := false
		for _, p := range perModel[1:] {
			v, set := p[name]
			differ = differ || set != firstSet || v != first
		}
		if !differ {
			continue
		}
		var parts []string
		for i, m := range defaultModels {
			if v, set := perModel[i][name]; set {
				parts = append(parts, fmt.Sprintf("%v for %s", v, m.label))
			}
		}
		flag.DefValue = strings.Join(parts, ", ")
	}
}

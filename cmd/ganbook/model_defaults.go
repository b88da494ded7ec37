package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ganbook/ganbook/gan"
)

// defaultModels are the models whose own defaults the train flags' help lists.
var defaultModels = []string{gan.ModelMLP, gan.ModelDCGAN}

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
// whose default differs between models, e.g. "(default 128 for mlp, 64 for dcgan)".
func describeModelDefaults(fl *pflag.FlagSet) {
	perModel := make([]map[string]any, len(defaultModels))
	for i, m := range defaultModels {
		perModel[i] = gan.DefaultConfigFor(m).Params()
	}
	for name := range perModel[0] {
		flag := fl.Lookup(strings.TrimPrefix(configFlag(name), "--"))
		if flag == nil || name == "model" {
			continue
		}
		differ := false
		for _, p := range perModel[1:] {
			differ = differ || p[name] != perModel[0][name]
		}
		if !differ {
			continue
		}
		parts := make([]string, len(defaultModels))
		for i, m := range defaultModels {
			parts[i] = fmt.Sprintf("%v for %s", perModel[i][name], m)
		}
		flag.DefValue = strings.Join(parts, ", ")
	}
}

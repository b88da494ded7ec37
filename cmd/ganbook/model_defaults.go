package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ganbook/ganbook/gan"
)

// defaultModels are the models whose own defaults the train flags' help
// lists, in the order it names them.
var defaultModels = []string{gan.ModelMLP, gan.ModelCMLP, gan.ModelDCGAN, gan.ModelCDCGAN}

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
// whose default differs between models, naming the models that share each
// value, e.g. "(default 128 for mlp and cmlp, 32 for dcgan and cdcgan)". A
// setting a model leaves unset (absent from its Params) is named only for
// the models that set it.
func describeModelDefaults(fl *pflag.FlagSet) {
	perModel := make([]map[string]any, len(defaultModels))
	names := map[string]bool{}
	for i, m := range defaultModels {
		perModel[i] = gan.DefaultConfigFor(m).Params()
		for name := range perModel[i] {
			names[name] = true
		}
	}
	for name := range names {
		flag := fl.Lookup(strings.TrimPrefix(configFlag(name), "--"))
		if flag == nil || name == "model" {
			continue
		}
		// The distinct values in the order of their first model, each with
		// the models that have it.
		var values []any
		models := map[any][]string{}
		for i, m := range defaultModels {
			v, set := perModel[i][name]
			if !set {
				continue
			}
			if _, seen := models[v]; !seen {
				values = append(values, v)
			}
			models[v] = append(models[v], m)
		}
		if len(values) == 1 && len(models[values[0]]) == len(defaultModels) {
			continue
		}
		var parts []string
		for _, v := range values {
			parts = append(parts, fmt.Sprintf("%v for %s", v, joinAnd(models[v])))
		}
		flag.DefValue = strings.Join(parts, ", ")
	}
}

// joinAnd joins names as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

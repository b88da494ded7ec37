package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/internal/kernel"
)

// newKernelCommand is `ganbook kernel`: install, uninstall and check the Jupyter kernel
// the notebooks run in.
func newKernelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kernel",
		Short: "Install, remove or check the Jupyter kernel for ganbook's notebooks",
		Long: `The ganbook kernel is GoNB ` + kernel.GoNBVersion + ` set up for this repository: notebooks import
github.com/ganbook/ganbook/... from the checkout it was installed from, wherever the notebook
is, with no wiring code in the notebook, and run with GOEXPERIMENT=simd, GOMLX_NO_AUTO_INSTALL=1
and GANBOOK_DB set. "ganbook kernel doctor" checks everything a notebook needs.`,
	}
	cmd.AddCommand(newKernelInstallCommand(), newKernelUninstallCommand(), newKernelDoctorCommand())
	return cmd
}

func newKernelInstallCommand() *cobra.Command {
	cfg := kernel.Config{}
	var repo string
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Build the pinned GoNB and goimports and register the ganbook kernel with Jupyter",
		Long: `install builds GoNB ` + kernel.GoNBVersion + ` and goimports (golang.org/x/tools ` + kernel.ToolsVersion + `) into
ganbook's cache directory (skipped when they are already there) and writes the kernel spec
into the Jupyter data directory. Run it inside the checkout the notebooks should import.
Re-running it is safe.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.DataDir, err = dataDirFlag(cfg.DataDir); err != nil {
				return err
			}
			if cfg.BinDir == "" {
				if cfg.BinDir, err = kernel.DefaultBinDir(); err != nil {
					return err
				}
			}
			if repo == "" {
				if repo, err = kernel.FindRepo("."); err != nil {
					return fmt.Errorf("%w: run it inside your checkout, or pass --repo", err)
				}
			}
			cfg.Repo = repo
			cfg.Log = cmd.OutOrStdout()
			_, err = kernel.Install(cmd.Context(), cfg)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Name, "name", kernel.DefaultName, "kernel name (notebooks refer to it in metadata.kernelspec.name)")
	fl.StringVar(&cfg.DisplayName, "display-name", kernel.DefaultDisplayName, "name shown in Jupyter's launcher")
	fl.StringVar(&cfg.DataDir, "jupyter-data-dir", "", "Jupyter data directory (default $JUPYTER_DATA_DIR, else the user's)")
	fl.StringVar(&cfg.BinDir, "bin-dir", "", "where to build gonb, goimports and gopls (default $GANBOOK_CACHE/bin or ~/.cache/ganbook/bin; \"$(go env GOPATH)/bin\" if you want them there)")
	fl.StringVar(&repo, "repo", "", "ganbook checkout the notebooks import (default: the one containing the current directory)")
	fl.StringVar(&cfg.DB, "db", os.Getenv("GANBOOK_DB"), "tracker database the kernel's GANBOOK_DB names (default $GANBOOK_DB, else ganbook.db in the checkout)")
	fl.StringVar(&cfg.Backend, "backend", os.Getenv("GOMLX_BACKEND"), "GOMLX_BACKEND for the kernel, e.g. go or xla:cpu (default $GOMLX_BACKEND; unset: XLA when a plugin is installed, else go)")
	fl.BoolVar(&cfg.Force, "force", false, "replace a kernel of the same name that ganbook did not install")
	return cmd
}

func newKernelUninstallCommand() *cobra.Command {
	cfg := kernel.UninstallConfig{}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the ganbook kernel spec and the tools `kernel install` built",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.DataDir, err = dataDirFlag(cfg.DataDir); err != nil {
				return err
			}
			if cfg.CacheBinDir, err = kernel.DefaultBinDir(); err != nil {
				return err
			}
			cfg.Log = cmd.OutOrStdout()
			_, err = kernel.Uninstall(cfg)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Name, "name", kernel.DefaultName, "kernel name")
	fl.StringVar(&cfg.DataDir, "jupyter-data-dir", "", "Jupyter data directory (default $JUPYTER_DATA_DIR, else the user's)")
	fl.BoolVar(&cfg.KeepTools, "keep-tools", false, "keep the built gonb, goimports and gopls")
	fl.BoolVar(&cfg.Force, "force", false, "remove a kernel of that name even if ganbook did not install it")
	return cmd
}

func newKernelDoctorCommand() *cobra.Command {
	d := kernel.Doctor{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check what the notebooks need; exit status 1 when something is missing",
		Long: `doctor checks, one line each: Go, GoNB and goimports (present, pinned versions), the kernel
spec (registered, pointing at them, wired to a checkout), Jupyter, GOEXPERIMENT=simd, the GoMLX
backend the kernel will get, MNIST on this machine, and the tracker database. A line marked
FAIL says how to fix it, and makes the exit status 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if d.DataDir, err = dataDirFlag(d.DataDir); err != nil {
				return err
			}
			if d.BinDir == "" {
				if d.BinDir, err = kernel.DefaultBinDir(); err != nil {
					return err
				}
			}
			d.XLAPlugins = gan.XLAPlugins
			d.FindMNIST = func() (string, error) {
				ds, err := data.Load("mnist", data.Test, data.Options{NoDownload: true})
				if err != nil {
					return "", err
				}
				return ds.Source, nil
			}
			findings := d.Check(cmd.Context())
			if err := kernel.WriteReport(cmd.OutOrStdout(), findings); err != nil {
				return err
			}
			if kernel.Failed(findings) {
				return &exitError{code: 1, err: errors.New("kernel doctor: a notebook needs what the FAIL lines name")}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&d.Name, "name", kernel.DefaultName, "kernel name")
	fl.StringVar(&d.DataDir, "jupyter-data-dir", "", "Jupyter data directory (default $JUPYTER_DATA_DIR, else the user's)")
	fl.StringVar(&d.BinDir, "bin-dir", "", "where \"kernel install\" builds the tools (default $GANBOOK_CACHE/bin or ~/.cache/ganbook/bin)")
	return cmd
}

// dataDirFlag resolves --jupyter-data-dir: the flag, else Jupyter's own default.
func dataDirFlag(flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	return kernel.DefaultDataDir()
}

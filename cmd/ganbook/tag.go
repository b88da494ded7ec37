package main

import (
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
)

func newTagCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tag RUN key=value...",
		Short: "Set tags on a run",
		Args:  cobra.MinimumNArgs(2),
	}
	db := dbFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tags, err := parseTags("tag", args[1:])
		if err != nil {
			return err
		}
		return withStore(*db, false, func(store *tracker.Store) error {
			for _, k := range slices.Sorted(maps.Keys(tags)) {
				if err := store.SetTag(cmd.Context(), args[0], k, tags[k]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return cmd
}

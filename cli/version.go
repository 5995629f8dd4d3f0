package cli

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// versionInfo is what the binary knows of its build, from the build
// information the Go toolchain embeds (runtime/debug.ReadBuildInfo): the
// module version and the VCS commit it was built from. `version --json`
// prints it.
type versionInfo struct {
	// Version is the module's version: a tag (v1.2.0), a pseudo-version
	// derived from the commit (v0.0.0-20251201012921-59eb953abcde, +dirty
	// when modified), or "(devel)" when the toolchain stamped none.
	Version string `json:"version"`
	// Commit is the VCS revision; "" when the build was not stamped
	// (go run, go test, -buildvcs=false, a build outside the repository).
	Commit string `json:"commit,omitempty"`
	// Modified says the working tree had uncommitted changes.
	Modified bool `json:"modified"`
	// CommitTime is the commit's time (RFC 3339); the toolchain records no
	// build time.
	CommitTime string `json:"commit_time,omitempty"`
	// GoVersion is the toolchain that built the binary.
	GoVersion string `json:"go_version"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
}

// readVersion reads this binary's build information.
func readVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	return versionFrom(bi, ok)
}

// versionFrom converts build information (ok false: none) to versionInfo.
func versionFrom(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "vcs.time":
			v.CommitTime = s.Value
		}
	}
	return v
}

// String is the one line --version prints:
//
//	ptd-proactive v0.0.0-20251201012921-59eb953abcde (commit 59eb953abcde, committed 2025-12-01T01:29:21Z; go1.26.8 linux/amd64)
func (v versionInfo) String() string {
	var parts []string
	if v.Commit != "" {
		c := "commit " + shortCommit(v.Commit)
		if v.Modified {
			c += " with uncommitted changes"
		}
		parts = append(parts, c)
	} else {
		parts = append(parts, "no VCS information")
	}
	if v.CommitTime != "" {
		parts = append(parts, "committed "+v.CommitTime)
	}
	return "ptd-proactive " + v.Version + " (" + strings.Join(parts, ", ") + "; " + v.GoVersion + " " + v.Platform + ")"
}

// shortCommit is the first 12 characters of a revision.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func (a *app) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and the commit the binary was built from (as --version)",
		Long: `Print the module version and the VCS commit the binary was built from (with
whether the tree had uncommitted changes and the commit's time), the Go version
and the platform, all from the build information Go embeds. A binary built by
'go run' or outside a Git checkout has no commit; --json prints
{version, commit, modified, commit_time, go_version, platform}.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			v := readVersion()
			if asJSON {
				return writeJSON(a.io.Stdout, v)
			}
			_, err := termtext.Fprintln(a.io.Stdout, v.String())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	return cmd
}

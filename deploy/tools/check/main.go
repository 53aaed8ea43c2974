// Command check builds a kustomization and loads a Compose file the way their own tools do, offline:
//
//	check kustomize <dir> <out.yaml>   kustomize's own API (`kubectl apply -k` / `kustomize build`):
//	                                   every resource listed, readable and unique; the rendered
//	                                   manifests go to out.yaml for schema validation.
//	check compose <file>               compose-go, the loader of `docker compose config`: the file
//	                                   against the Compose specification's schema, interpolation,
//	                                   references between services.
//
// Exit status 1 with the tool's own message on the first problem.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "kustomize":
		return kustomize(args[1], args[2])
	case len(args) == 2 && args[0] == "compose":
		return compose(args[1])
	default:
		return fmt.Errorf("usage: check kustomize <dir> <out.yaml> | check compose <file>")
	}
}

func kustomize(dir, out string) error {
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	yaml, err := resources.AsYaml()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, yaml, 0o644); err != nil {
		return err
	}
	fmt.Printf("kustomize build %s: %d resources\n", dir, resources.Size())
	return nil
}

func compose(file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	options, err := cli.NewProjectOptions(
		[]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithOsEnv,
		cli.WithName("check"),
	)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Printf("%s: valid Compose file, services %v\n", file, project.ServiceNames())
	return nil
}

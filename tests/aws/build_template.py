"""Does what `sam build` does for the emulator, from binaries cargo already built: one
artifact directory per function holding its `bootstrap` (stripped), and a copy of the template
whose functions point at them. `sam build` would compile each function again with cargo-lambda
in a separate target directory; the emulator runs host binaries, so the workspace's own
`target/debug` builds serve.

Usage: python build_template.py TEMPLATE OUT_DIR BIN_DIR
"""

import os
import shutil
import subprocess
import sys

from samcli.yamlhelper import yaml_dump, yaml_parse


def main():
    template_path, out_dir, bin_dir = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    template = yaml_parse(open(template_path).read())
    base = os.path.dirname(os.path.abspath(template_path))
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    for resource in template["Resources"].values():
        kind = resource["Type"]
        if kind == "AWS::Serverless::Function":
            meta = resource.pop("Metadata", {})
            if meta.get("BuildMethod") != "rust-cargolambda":
                sys.exit("every function is built with rust-cargolambda")
            binary = meta["BuildProperties"]["Binary"]
            artifact = os.path.join(out_dir, binary)
            os.makedirs(artifact)
            bootstrap = os.path.join(artifact, "bootstrap")
            shutil.copy(os.path.join(bin_dir, binary), bootstrap)
            subprocess.run(["strip", bootstrap], check=True)
            os.chmod(bootstrap, 0o755)
            resource["Properties"]["CodeUri"] = artifact
        elif kind == "AWS::Serverless::StateMachine":
            props = resource["Properties"]
            props["DefinitionUri"] = os.path.join(base, props["DefinitionUri"])
    with open(os.path.join(out_dir, "template.yaml"), "w") as f:
        f.write(yaml_dump(template))


if __name__ == "__main__":
    main()

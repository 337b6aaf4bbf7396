#!/usr/bin/env bash
# Static checks of the AWS deployment: the SAM template (cfn-lint, `sam validate --lint`) and
# every state machine definition (asl-validator).
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
source tests/aws/lib.sh
aws_tools

cfn-lint infra/template.yaml
sam validate --lint --template-file infra/template.yaml --config-env default
for f in infra/statemachines/*.asl.json; do
  npx --no-install asl-validator --json-path "$f"
done
echo "aws-static: template and state machines clean"

# A CommandLineTool that fails: its error reaches the job's message.
cwlVersion: v1.2
class: CommandLineTool
id: fail
baseCommand: [python3, -c]
arguments:
  - "import sys; sys.stderr.write('boom: the tool failed on purpose\\n'); sys.exit(3)"
inputs: {}
outputs: {}

# A CommandLineTool that sleeps; its command line carries a tag to find it by.
cwlVersion: v1.2
class: CommandLineTool
id: nap
baseCommand: [python3, -c, "import sys, time; time.sleep(float(sys.argv[1]))"]
inputs:
  seconds:
    type: float
    inputBinding:
      position: 1
  tag:
    type: string
    inputBinding:
      position: 2
outputs: {}

# A CommandLineTool that runs without containers: writes a greeting to a file.
cwlVersion: v1.2
class: CommandLineTool
id: hello
label: Hello
doc: Writes a greeting for someone to greeting.txt
baseCommand: [python3, -c]
arguments:
  - position: 0
    valueFrom: |
      import sys
      with open("greeting.txt", "w") as f:
          f.write("Hello, %s!\n" % sys.argv[1] * int(sys.argv[2]))
inputs:
  who:
    type: string
    label: Who to greet
    inputBinding:
      position: 1
  times:
    type: int
    default: 1
    inputBinding:
      position: 2
outputs:
  greeting:
    type: File
    label: The greeting
    outputBinding:
      glob: greeting.txt

# A CommandLineTool with a Directory (STAC catalog) and a File input, staged by the server:
# it lists the staged catalog's files and appends the notes.
cwlVersion: v1.2
class: CommandLineTool
id: inventory
baseCommand: [python3, -c]
arguments:
  - position: 0
    valueFrom: |
      import os, sys
      root, notes = sys.argv[1], sys.argv[2]
      paths = sorted(os.path.relpath(os.path.join(d, f), root)
                     for d, _, fs in os.walk(root) for f in fs)
      with open("inventory.txt", "w") as out:
          out.write("\n".join(paths) + "\n")
          out.write(open(notes).read())
inputs:
  catalog:
    type: Directory
    inputBinding:
      position: 1
  notes:
    type: File
    inputBinding:
      position: 2
outputs:
  inventory:
    type: File
    outputBinding:
      glob: inventory.txt
  count:
    type: int
    outputBinding:
      glob: inventory.txt
      loadContents: true
      outputEval: $(self[0].contents.split("\n").length)
requirements:
  InlineJavascriptRequirement: {}

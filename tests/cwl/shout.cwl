# A Workflow that scatters a tool over its input words, then gathers the files the scattered
# runs wrote into a STAC catalog (a Directory output). Runs without containers.
cwlVersion: v1.2
$namespaces:
  s: https://schema.org/
s:softwareVersion: 2.1.0
$graph:
  - class: Workflow
    id: shout
    label: Shout words
    doc: Upper-cases each word in its own run, then catalogs the results
    requirements:
      ScatterFeatureRequirement: {}
    inputs:
      words:
        type: string[]
        label: Words to shout
      suffix:
        type: string?
        default: "!"
    outputs:
      shouted:
        type: File[]
        outputSource: node_shout/shouted
      stac_catalog:
        type: Directory
        outputSource: node_catalog/catalog
    steps:
      node_shout:
        run: "#upper"
        in:
          word: words
          suffix: suffix
        out: [shouted]
        scatter: word
      node_catalog:
        run: "#catalog"
        in:
          files: node_shout/shouted
        out: [catalog]

  - class: CommandLineTool
    id: upper
    hints:
      DockerRequirement:
        dockerPull: docker.io/library/python:3.12-slim
    baseCommand: [python3, -c]
    arguments:
      - position: 0
        valueFrom: |
          import sys
          word, suffix = sys.argv[1], sys.argv[2]
          with open(word + ".txt", "w") as f:
              f.write(word.upper() + suffix + "\n")
    inputs:
      word:
        type: string
        inputBinding:
          position: 1
      suffix:
        type: string
        inputBinding:
          position: 2
    outputs:
      shouted:
        type: File
        outputBinding:
          glob: "*.txt"

  - class: CommandLineTool
    id: catalog
    hints:
      DockerRequirement:
        dockerPull: docker.io/library/python:3.12-slim
    baseCommand: [python3, -c]
    arguments:
      - position: 0
        valueFrom: |
          import json, os, shutil, sys
          os.makedirs("out")
          links = [{"rel": "root", "href": "./catalog.json"}]
          for path in sys.argv[1:]:
              name = os.path.splitext(os.path.basename(path))[0]
              os.makedirs(os.path.join("out", name))
              shutil.copy(path, os.path.join("out", name, "word.txt"))
              item = {"type": "Feature", "stac_version": "1.0.0", "id": name,
                      "geometry": None, "properties": {"datetime": "2024-01-01T00:00:00Z"},
                      "links": [{"rel": "root", "href": "../catalog.json"},
                                {"rel": "parent", "href": "../catalog.json"}],
                      "assets": {"data": {"href": "word.txt", "type": "text/plain"}}}
              with open(os.path.join("out", name, name + ".json"), "w") as f:
                  json.dump(item, f)
              links.append({"rel": "item", "href": "./%s/%s.json" % (name, name)})
          with open(os.path.join("out", "catalog.json"), "w") as f:
              json.dump({"type": "Catalog", "stac_version": "1.0.0", "id": "catalog",
                         "description": "shouted words", "links": links}, f)
    inputs:
      files:
        type: File[]
        inputBinding:
          position: 1
    outputs:
      catalog:
        type: Directory
        outputBinding:
          glob: out

# An EO Application Package with the interface of the EOAP water-bodies application
# (eoap/mastering-app-package): a main Workflow, a sub-workflow scattered over the STAC items,
# and CommandLineTools that run in containers (DockerRequirement hints). Stratus test fixture.
cwlVersion: v1.2
$namespaces:
  s: https://schema.org/
s:softwareVersion: 1.0.0
s:keywords: water, ndwi, otsu, sentinel-2
$graph:
  - class: Workflow
    id: water-bodies
    label: Water bodies detection
    doc: Detects water bodies with the NDWI and Otsu's threshold on Sentinel-2 STAC items
    requirements:
      - class: ScatterFeatureRequirement
      - class: SubworkflowFeatureRequirement
    inputs:
      aoi:
        label: Area of interest
        doc: minx,miny,maxx,maxy in the CRS given by epsg
        type: string
      epsg:
        label: CRS of the AOI
        doc: EPSG code of the AOI coordinates
        type: string
        default: "EPSG:4326"
      stac_items:
        label: Sentinel-2 STAC items
        doc: URLs of the STAC Items to process
        type: string[]
      bands:
        label: Bands
        doc: Common names of the bands of the normalized difference
        type: string[]
        default: ["green", "nir"]
    outputs:
      - id: stac_catalog
        label: Water bodies
        doc: STAC catalog with one item per input item and its water mask
        outputSource:
          - node_stac/stac_catalog
        type: Directory
    steps:
      node_water_bodies:
        run: "#detect_water_body"
        in:
          item: stac_items
          aoi: aoi
          epsg: epsg
          bands: bands
        out:
          - detected_water_body
        scatter: item
        scatterMethod: dotproduct
      node_stac:
        run: "#stac"
        in:
          item: stac_items
          rasters:
            source: node_water_bodies/detected_water_body
        out:
          - stac_catalog

  - class: Workflow
    id: detect_water_body
    label: Water body detection on one item
    doc: Crops both bands, computes the NDWI and thresholds it
    requirements:
      - class: ScatterFeatureRequirement
    inputs:
      aoi:
        type: string
      epsg:
        type: string
      bands:
        type: string[]
      item:
        type: string
    outputs:
      - id: detected_water_body
        outputSource:
          - node_otsu/binary_mask_item
        type: File
    steps:
      node_crop:
        run: "#crop"
        in:
          item: item
          aoi: aoi
          epsg: epsg
          band: bands
        out:
          - cropped
        scatter: band
        scatterMethod: dotproduct
      node_normalized_difference:
        run: "#norm_diff"
        in:
          rasters:
            source: node_crop/cropped
        out:
          - ndwi
      node_otsu:
        run: "#otsu"
        in:
          raster:
            source: node_normalized_difference/ndwi
        out:
          - binary_mask_item

  - class: CommandLineTool
    id: crop
    requirements:
      InlineJavascriptRequirement: {}
      ResourceRequirement:
        coresMax: 1
        ramMax: 512
    hints:
      DockerRequirement:
        dockerPull: ghcr.io/example/water-bodies-crop:1.0.0
    baseCommand: ["python", "-m", "app"]
    arguments: []
    inputs:
      item:
        type: string
        inputBinding:
          prefix: --input-item
      aoi:
        type: string
        inputBinding:
          prefix: --aoi
      epsg:
        type: string
        inputBinding:
          prefix: --epsg
      band:
        type: string
        inputBinding:
          prefix: --band
    outputs:
      cropped:
        type: File
        outputBinding:
          glob: '*.tif'

  - class: CommandLineTool
    id: norm_diff
    requirements:
      InlineJavascriptRequirement: {}
      ResourceRequirement:
        coresMax: 1
        ramMax: 512
    hints:
      DockerRequirement:
        dockerPull: ghcr.io/example/water-bodies-norm-diff:1.0.0
    baseCommand: ["python", "-m", "app"]
    inputs:
      rasters:
        type: File[]
        inputBinding:
          position: 1
    outputs:
      ndwi:
        type: File
        outputBinding:
          glob: '*.tif'

  - class: CommandLineTool
    id: otsu
    requirements:
      InlineJavascriptRequirement: {}
      ResourceRequirement:
        coresMax: 1
        ramMax: 512
    hints:
      DockerRequirement:
        dockerPull: ghcr.io/example/water-bodies-otsu:1.0.0
    baseCommand: ["python", "-m", "app"]
    inputs:
      raster:
        type: File
        inputBinding:
          position: 1
    outputs:
      binary_mask_item:
        type: File
        outputBinding:
          glob: '*.tif'

  - class: CommandLineTool
    id: stac
    requirements:
      InlineJavascriptRequirement: {}
      ResourceRequirement:
        coresMax: 1
        ramMax: 512
    hints:
      DockerRequirement:
        dockerPull: ghcr.io/example/water-bodies-stac:1.0.0
    baseCommand: ["python", "-m", "app"]
    inputs:
      item:
        type:
          type: array
          items: string
          inputBinding:
            prefix: --input-item
      rasters:
        type:
          type: array
          items: File
          inputBinding:
            prefix: --water-body
    outputs:
      stac_catalog:
        type: Directory
        outputBinding:
          glob: .

# The image of the CWL container task (template parameter CwlImage): cwltool and the
# cwl-task binary of functions/aws, which runs one deployed package's job with inputs and
# outputs in S3. Build the binary for the task's architecture first, e.g.
#   cargo lambda build --release --arm64 --package stratus-aws --bin cwl-task
#   docker build -f infra/cwl-task.Dockerfile -t <registry>/stratus-cwl-task .
# Tools run without containers inside the task (Fargate has no container runtime), so the
# image must also hold what the deployed packages' tools need.
FROM public.ecr.aws/docker/library/python:3.12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir cwltool==3.3.20260925135507
COPY target/lambda/cwl-task/bootstrap /usr/local/bin/cwl-task
CMD ["cwl-task"]

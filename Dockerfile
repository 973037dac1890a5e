# Same install steps as the README: a venv with the project installed from pyproject.toml.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 jincheng
WORKDIR /srv
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/alembic.ini /src/README.md ./
COPY --from=build /src/migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    JINCHENG_ENV=production \
    JINCHENG_HOST=0.0.0.0 \
    JINCHENG_DATA_DIR=/srv/var
RUN mkdir -p /srv/var && chown jincheng /srv/var
USER jincheng
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["jincheng", "serve"]

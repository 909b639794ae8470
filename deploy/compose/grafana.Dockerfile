# Grafana with the ClickHouse plugin baked in, for sites without internet: build (or pull)
# this image where there is a network, `docker save` it, `docker load` it at the site.
# Versions: dashboards/defaults.py (GRAFANA_VERSION, PLUGIN_VERSION); a unit test checks
# this file and the compose file agree with them.
# Build from the repository root: docker build -f deploy/compose/grafana.Dockerfile .
ARG GRAFANA_VERSION=11.6.16
FROM grafana/grafana:${GRAFANA_VERSION}

ARG PLUGIN_VERSION=4.20.0
# Outside /var/lib/grafana: that is a volume, and a volume made by an older image would
# hide a newer plugin.
ENV GF_PATHS_PLUGINS=/var/lib/grafana-plugins
USER root
RUN mkdir -p "$GF_PATHS_PLUGINS" && chown 472:0 "$GF_PATHS_PLUGINS"
USER 472
RUN grafana cli --pluginsDir "$GF_PATHS_PLUGINS" plugins install \
        grafana-clickhouse-datasource "$PLUGIN_VERSION"

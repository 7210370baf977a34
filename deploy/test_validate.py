#!/usr/bin/env python3
"""validate.py must refuse broken manifests: each test breaks one thing in a copy of
deploy/agones/ and expects the matching error. Run: python3 -m unittest deploy/test_validate.py
"""

import contextlib
import io
import re
import shutil
import tempfile
import unittest
from pathlib import Path

import yaml

import validate

AGONES = Path(__file__).resolve().parent / "agones"
COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


class BrokenManifests(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        for f in AGONES.glob("*.yaml"):
            shutil.copy(f, self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def edit(self, name, change):
        """Applies `change(docs)` to the documents of one file of the copy."""
        path = self.dir / name
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        change(docs)
        path.write_text(yaml.safe_dump_all(docs))

    def errors(self):
        with contextlib.redirect_stdout(io.StringIO()):
            return validate.validate([str(self.dir)])

    def assert_refused(self, *fragments):
        errors = self.errors()
        self.assertTrue(errors, "the broken manifests were accepted")
        text = "\n".join(errors)
        for fragment in fragments:
            self.assertIn(fragment, text)

    def test_the_manifests_as_shipped_are_valid(self):
        self.assertEqual(self.errors(), [])

    def test_misspelt_agones_field(self):
        self.edit("fleet.yaml", lambda d: d[0]["spec"].update(priorites=d[0]["spec"].pop("priorities")))
        self.assert_refused("Agones Fleet", "priorites")

    def test_wrong_type_in_an_agones_counter(self):
        def change(d):
            d[0]["spec"]["template"]["spec"]["counters"]["players"]["capacity"] = "lots"
        self.edit("fleet.yaml", change)
        self.assert_refused("Agones Fleet", "'lots'")

    def test_unknown_enum_value(self):
        self.edit("fleet.yaml", lambda d: d[0]["spec"]["priorities"][0].update(order="Emptiest"))
        self.assert_refused("Agones Fleet", "Emptiest")

    def test_pod_template_inside_the_fleet_is_checked_by_kubernetes_schema(self):
        def change(d):
            d[0]["spec"]["template"]["spec"]["template"]["spec"]["terminationGracePeriod"] = 60
        self.edit("fleet.yaml", change)
        self.assert_refused("Fleet pod template", "terminationGracePeriod")

    def test_kubernetes_kind_with_a_wrong_type(self):
        def change(d):
            d[2]["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "grpc"
        self.edit("nakama.yaml", change)
        self.assert_refused("nakama.yaml#2", "'grpc'")

    def test_kubernetes_kind_with_an_unknown_field(self):
        self.edit("postgres.yaml", lambda d: d[1]["spec"].update(replica=1))
        self.assert_refused("postgres.yaml#1", "replica")

    def test_a_literal_key(self):
        def change(d):
            env = d[0]["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]["env"]
            env[1] = {"name": "HTTP_KEY", "value": "0123456789abcdef"}
        self.edit("fleet.yaml", change)
        self.assert_refused("HTTP_KEY looks like a key")

    def test_a_secret_object(self):
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tower-keys"},
                  "stringData": {"http-key": "x"}}
        (self.dir / "secret.yaml").write_text(yaml.safe_dump(secret))
        self.assert_refused("a Secret in the repository")

    def test_a_key_from_another_secret(self):
        def change(d):
            env = d[1]["spec"]["template"]["spec"]["containers"][0]["env"]
            env[2]["valueFrom"]["secretKeyRef"]["name"] = "other"
        self.edit("postgres.yaml", change)
        self.assert_refused("not a key of Secret tower-keys")

    def test_autoscaler_on_a_counter_the_fleet_lacks(self):
        self.edit("fleetautoscaler.yaml", lambda d: d[0]["spec"]["policy"]["counter"].update(key="rooms"))
        self.assert_refused("'rooms' is not a Counter")

    def test_autoscaler_buffer_above_max(self):
        self.edit("fleetautoscaler.yaml", lambda d: d[0]["spec"]["policy"]["counter"].update(bufferSize=30000))
        self.assert_refused("bufferSize <= maxCapacity")

    def test_autoscaler_for_an_unknown_fleet(self):
        self.edit("fleetautoscaler.yaml", lambda d: d[0]["spec"].update(fleetName="nope"))
        self.assert_refused("unknown Fleet 'nope'")

    def test_fleet_must_scale_down_the_emptiest_first(self):
        self.edit("fleet.yaml", lambda d: d[0]["spec"]["priorities"][0].update(order="Ascending"))
        self.assert_refused("emptiest first")

    def test_fleet_needs_the_players_counter(self):
        self.edit("fleet.yaml", lambda d: d[0]["spec"]["template"]["spec"].update(counters={}))
        self.assert_refused("`players` Counter")

    def test_kustomization_lists_only_existing_files(self):
        (self.dir / "fleet.yaml").unlink()
        self.assert_refused("resource fleet.yaml does not exist")

    def test_the_load_balancer_exposes_plain_nakama_http(self):
        # What nakama.yaml shipped before the TLS sidecar: players on Nakama's plain 7350.
        def change(d):
            d[1]["spec"]["ports"] = [{"name": "http", "port": 7350, "targetPort": "http"}]
        self.edit("nakama.yaml", change)
        self.assert_refused("nakama-public port http exposes nakama's port http (7350)", "plain text")

    def test_the_load_balancer_exposes_plain_http_beside_tls(self):
        def change(d):
            d[1]["spec"]["ports"].append({"name": "plain", "port": 7350, "targetPort": 7350})
        self.edit("nakama.yaml", change)
        self.assert_refused("nakama-public port plain exposes nakama's port http (7350)")

    def test_a_node_port_is_public_too(self):
        def change(d):
            d[0]["spec"]["type"] = "NodePort"
        self.edit("nakama.yaml", change)
        self.assert_refused("nakama port grpc exposes", "nakama port http exposes")

    def test_the_tls_port_needs_its_certificate_secret(self):
        def change(d):
            proxy = d[2]["spec"]["template"]["spec"]["containers"][1]
            proxy["volumeMounts"] = [m for m in proxy["volumeMounts"] if m["name"] not in ("tls", "grpc-tls")]
        self.edit("nakama.yaml", change)
        self.assert_refused("tls-proxy serves `https` without a certificate from a Secret volume")

    def test_the_load_balancer_targets_a_port_nobody_serves(self):
        def change(d):
            d[1]["spec"]["ports"][0]["targetPort"] = "htps"
        self.edit("nakama.yaml", change)
        self.assert_refused("targets 'htps', which no container")

    def test_not_yaml(self):
        (self.dir / "fleet.yaml").write_text("spec: [unclosed\n")
        self.assert_refused("not YAML")


def script(docs, kind, name):
    """The shell script (`sh -ec <script>`) of container `name` in the first `kind` object."""
    doc = next(d for d in docs if d.get("kind") == kind)
    pod = doc["spec"]["template"]
    if kind == "Fleet":
        pod = pod["spec"]["template"]
    container = next(c for c in pod["spec"]["containers"] if c["name"] == name)
    return (container.get("command") or container.get("entrypoint"))[-1]


def flags(command):
    """Nakama's flags in a shell script, with the variable each `--runtime.env` sets."""
    return sorted(re.findall(r"--[a-z_.]+(?: \"?[a-z_]+=)?", command))


def keys(script_text):
    """The keys of the TOML a start script writes."""
    return sorted(re.findall(r"^\s*([a-z_]+) = ", script_text, re.M))


class SameAsCompose(unittest.TestCase):
    """Nakama and the game server start as docker-compose.yml starts them: a flag or a
    setting added there and forgotten here (or the reverse) fails."""

    @classmethod
    def setUpClass(cls):
        cls.compose = yaml.safe_load(COMPOSE.read_text())["services"]

    def test_nakama_flags(self):
        compose = self.compose["nakama"]["entrypoint"][-1]
        ours = list(yaml.safe_load_all((AGONES / "nakama.yaml").read_text()))
        # compose runs `migrate up --config` in the same script; here it is the init container.
        self.assertEqual(flags(script(ours, "Deployment", "nakama") + " --config"), flags(compose))
        # The same settings in the secrets file both write (the placement policy aside).
        def settings(text):
            return sorted(re.findall(r"^\s*(?:- \"(tower_[a-z_]+)=|([a-z_]+):)", text, re.M))
        self.assertEqual(settings(script(ours, "Deployment", "nakama")), settings(compose))
        self.assertIn("/nakama/data/tower.yml", script(ours, "Deployment", "nakama"))
        self.assertEqual(self.compose["nakama"]["image"], ours[2]["spec"]["template"]["spec"]["containers"][0]["image"])

    def test_tls_proxy_settings(self):
        """The sidecar's nginx location block is compose's (docker/nakama-tls), but for the
        upstream: Nakama in the same pod."""
        def location(text):
            block = text.replace("\\$", "$").split("location / {", 1)[1].split("}", 1)[0]
            lines = [line.strip() for line in block.strip().splitlines()]
            return [line for line in lines if not line.startswith("proxy_pass ")]
        proxy = (AGONES.parent.parent / "docker" / "nakama-tls" / "tower-tls-proxy").read_text()
        ours = list(yaml.safe_load_all((AGONES / "nakama.yaml").read_text()))
        conf = next(d for d in ours if d["kind"] == "ConfigMap")["data"]["nginx.conf"]
        self.assertEqual(location(conf), location(proxy))
        self.assertIn("proxy_pass http://127.0.0.1:7350;", conf)
        for directive in ("ssl_protocols", "ssl_session_tickets", "server_tokens"):
            self.assertEqual(re.findall(directive + r" [^;]*;", conf), re.findall(directive + r" [^;]*;", proxy))
        self.assertEqual(self.compose["nakama-tls"]["environment"]["NAKAMA_UPSTREAM"], "nakama:7350")
        # gRPC for the game servers: a second TLS server, HTTP/2, passed to Nakama's 7349.
        def grpc_server(text):
            block = text.replace("\\$", "$").split("grpc_pass", 1)[0].rsplit("server {", 1)[1]
            lines = [line.strip() for line in block.strip().splitlines()]
            return [line for line in lines if line.split(" ")[0] in ("ssl_protocols", "ssl_session_tickets")
                    or line.startswith("listen ")]
        self.assertEqual(grpc_server(conf), ["listen 7449 ssl http2;", "ssl_protocols TLSv1.2 TLSv1.3;",
                                             "ssl_session_tickets off;"])
        self.assertEqual(grpc_server(proxy), ["listen $GRPC_TLS_PORT ssl http2;", "ssl_protocols TLSv1.2 TLSv1.3;",
                                              "ssl_session_tickets off;"])
        self.assertIn("grpc_pass grpc://127.0.0.1:7349;", conf)
        self.assertEqual(self.compose["nakama-tls"]["environment"]["NAKAMA_GRPC_UPSTREAM"], "nakama:7349")

    def test_game_server_settings(self):
        compose = self.compose["tower-server"]["entrypoint"][-1]
        fleet = list(yaml.safe_load_all((AGONES / "fleet.yaml").read_text()))
        # Draining an allocated server once it is empty only means something under Agones.
        agones_only = ["empty_drain_secs"]
        ours = [k for k in keys(script(fleet, "Fleet", "tower-server")) if k not in agones_only]
        self.assertEqual(ours, keys(compose))


if __name__ == "__main__":
    unittest.main()

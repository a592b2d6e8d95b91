"""C2PA credentials: trust is judged separately from validity; production refuses the
development CA."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.images import encode, scene
from twinstudio.domain.errors import ConfigurationError
from twinstudio.provenance import credentials
from twinstudio.provenance.keys import (
    SigningCredentials,
    create_development_chain,
    ensure_development_credentials,
    load_credentials,
)

MANIFEST = {"claim_generator_info": [{"name": "test", "version": "0"}], "title": "t",
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{
                "action": "c2pa.created", "digitalSourceType":
                "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"}]}}]}


def test_valid_and_trusted_are_reported_separately(tmp_path: Path) -> None:
    ensure_development_credentials(tmp_path)
    ours = load_credentials(tmp_path)
    signed = credentials.sign(encode(scene(1)), "image/jpeg", MANIFEST, ours)
    reading = credentials.read(signed, "image/jpeg", ours)
    assert reading.present and reading.valid and reading.trusted
    other_ca, _, _ = create_development_chain("someone else")
    stranger = SigningCredentials(ours.chain_pem, ours.key_pem, other_ca, True)
    reading = credentials.read(signed, "image/jpeg", stranger)
    assert reading.valid and not reading.trusted
    unsigned = credentials.read(encode(scene(1)), "image/jpeg", ours)
    assert not unsigned.present and not unsigned.valid


def test_production_refuses_the_development_ca(tmp_path: Path) -> None:
    ensure_development_credentials(tmp_path)
    with pytest.raises(ConfigurationError, match="the development CA is refused"):
        load_credentials(tmp_path, production=True)
    with pytest.raises(ConfigurationError, match="set both"):
        load_credentials(tmp_path, chain=tmp_path / "signer-chain.pem")
    # the same development files named explicitly are still the development CA
    with pytest.raises(ConfigurationError, match="refuses the development CA"):
        load_credentials(tmp_path, chain=tmp_path / "signer-chain.pem",
                         key=tmp_path / "signer-key.pem",
                         trust_anchors=tmp_path / "ca.pem", production=True)
    configured = load_credentials(tmp_path, chain=tmp_path / "signer-chain.pem",
                                  key=tmp_path / "signer-key.pem",
                                  trust_anchors=tmp_path / "ca.pem")
    assert not configured.development  # configured files: accepted outside production
    assert (tmp_path / "signer-key.pem").stat().st_mode & 0o077 == 0


def test_production_accepts_a_chain_of_another_ca(tmp_path: Path) -> None:
    from twinstudio.provenance.keys import create_development_chain

    ca, chain, key = create_development_chain("Nordvik", ca_common_name="Nordvik Root CA")
    for name, data in (("ca.pem", ca), ("chain.pem", chain), ("key.pem", key)):
        (tmp_path / name).write_bytes(data)
    loaded = load_credentials(tmp_path, chain=tmp_path / "chain.pem", key=tmp_path / "key.pem",
                              trust_anchors=tmp_path / "ca.pem", production=True)
    assert loaded.chain_pem == chain and not loaded.development



def test_development_certificate_has_the_c2pa_profile(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    ensure_development_credentials(tmp_path)
    leaf = x509.load_pem_x509_certificates((tmp_path / "signer-chain.pem").read_bytes())[0]
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    ekus = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in ekus
    assert x509.ObjectIdentifier("1.3.6.1.4.1.62558.2.1") in ekus
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

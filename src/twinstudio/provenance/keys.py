"""C2PA signing credentials: a development CA and an ES256 signing certificate per
workspace (``twinstudio init``), or a production chain and key from configuration.

The profile follows what c2pa-rs enforces (measured with c2pa-python 0.38.1): leaf on
EC P-256, basicConstraints CA=false, keyUsage digitalSignature (critical), an EKU of
emailProtection plus the C2PA claim-signing OID, SubjectKeyIdentifier and
AuthorityKeyIdentifier; the CA has keyCertSign+cRLSign and a SubjectKeyIdentifier. No
timestamp authority is used offline, so a reader checks the leaf against the time of
reading: the development leaf is valid for 5 years for that reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from twinstudio.domain.errors import ConfigurationError
from twinstudio.fileio import atomic_write

C2PA_CLAIM_SIGNING_EKU = x509.ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
DEV_CA_NAME = "twinstudio development root CA"


@dataclass(frozen=True)
class SigningCredentials:
    chain_pem: bytes          # leaf first, then intermediates/CA
    key_pem: bytes
    trust_anchors_pem: bytes  # the CAs a reader of this workspace trusts
    development: bool


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                         decipher_only=False)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])


def create_development_chain(organisation: str = "twinstudio workspace",
                             now: dt.datetime | None = None, *,
                             ca_common_name: str = DEV_CA_NAME
                             ) -> tuple[bytes, bytes, bytes]:
    """(ca_pem, chain_pem, key_pem) for a development workspace (``ca_common_name``: a
    CA of another name, for tests of what production accepts)."""
    now = now or dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(ca_common_name, organisation)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_key_usage(ca=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(_name("twinstudio C2PA signer (development)", organisation))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=5 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  C2PA_CLAIM_SIGNING_EKU]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return ca.public_bytes(pem), leaf.public_bytes(pem) + ca.public_bytes(pem), key_pem


def ensure_development_credentials(folder: Path) -> bool:
    """Create ``ca.pem``, ``signer-chain.pem`` and ``signer-key.pem`` once; True if new."""
    if (folder / "signer-key.pem").exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    ca_pem, chain_pem, key_pem = create_development_chain()
    (folder / "ca.pem").write_bytes(ca_pem)
    (folder / "signer-chain.pem").write_bytes(chain_pem)
    atomic_write(folder / "signer-key.pem", key_pem, private=True)
    return True


def load_credentials(folder: Path, *, chain: Path | None = None, key: Path | None = None,
                     trust_anchors: Path | None = None,
                     production: bool = False) -> SigningCredentials:
    """Configured chain/key/anchors when given, else the workspace's development ones
    (refused in production mode)."""
    if (chain is None) != (key is None):
        raise ConfigurationError("set both TWINSTUDIO_C2PA_CERT_CHAIN and TWINSTUDIO_C2PA_KEY")
    development = chain is None
    if development:
        if production:
            raise ConfigurationError("production mode needs TWINSTUDIO_C2PA_CERT_CHAIN and "
                                     "TWINSTUDIO_C2PA_KEY; the development CA is refused")
        chain, key = folder / "signer-chain.pem", folder / "signer-key.pem"
        trust_anchors = trust_anchors or folder / "ca.pem"
    assert chain is not None and key is not None
    for path in (chain, key, trust_anchors):
        if path is not None and not path.is_file():
            raise ConfigurationError(f"C2PA credential file {path} does not exist "
                                     "(run 'twinstudio init' for development credentials)")
    anchors = trust_anchors.read_bytes() if trust_anchors else b""
    chain_pem = chain.read_bytes()
    if production and _issued_by_development_ca(chain_pem, anchors):
        raise ConfigurationError(
            f"production mode refuses the development CA: {chain} (or the trust anchors) "
            f"comes from '{DEV_CA_NAME}'; configure a chain issued by a real CA")
    return SigningCredentials(chain_pem, key.read_bytes(), anchors, development)


def _issued_by_development_ca(chain_pem: bytes, anchors_pem: bytes) -> bool:
    """Whether any certificate of the chain or the anchors is, or was issued by, a
    twinstudio development CA (given as explicit files, they are still not for
    production)."""
    certificates = []
    for pem in (chain_pem, anchors_pem):
        if pem.strip():
            try:
                certificates += x509.load_pem_x509_certificates(pem)
            except ValueError as error:
                raise ConfigurationError(f"a C2PA certificate file is not PEM: {error}") \
                    from None
    for cert in certificates:
        for name in (cert.subject, cert.issuer):
            common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
            if any(a.value == DEV_CA_NAME for a in common):
                return True
    return False

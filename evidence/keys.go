package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Key file permissions.
const (
	PrivateKeyMode os.FileMode = 0o600
	PublicKeyMode  os.FileMode = 0o644
)

// GenerateKeyPair writes PREFIX.key (PEM "PRIVATE KEY", PKCS #8, mode
// 0600) and PREFIX.pub (PEM "PUBLIC KEY", PKIX) holding a new ed25519 key
// pair. Existing files are never overwritten.
func GenerateKeyPair(prefix string) (keyFile, pubFile string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	keyFile, pubFile = prefix+".key", prefix+".pub"
	for _, f := range []string{keyFile, pubFile} {
		if _, err := os.Lstat(f); err == nil {
			return "", "", fmt.Errorf("%s already exists: keys are never overwritten", f)
		}
	}
	if err := writeNew(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), PrivateKeyMode); err != nil {
		return "", "", err
	}
	if err := writeNew(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), PublicKeyMode); err != nil {
		os.Remove(keyFile)
		return "", "", err
	}
	return keyFile, pubFile, nil
}

func writeNew(p string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadPrivateKey reads an ed25519 private key: PEM PKCS #8 (as keygen
// writes), or base64 of the 32-byte seed or 64-byte key.
func LoadPrivateKey(file string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an ed25519 private key", file)
		}
		return priv, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	switch {
	case err == nil && len(raw) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case err == nil && len(raw) == ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("%s: not an ed25519 private key (want PEM PKCS #8 from meshaudit keygen)", file)
}

// LoadPublicKey reads an ed25519 public key: PEM PKIX (as keygen writes),
// or base64 of the 32 raw bytes.
func LoadPublicKey(file string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, errors.New(file + ": not an ed25519 public key")
		}
		return pub, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err == nil && len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	return nil, fmt.Errorf("%s: not an ed25519 public key (want PEM PKIX from meshaudit keygen)", file)
}

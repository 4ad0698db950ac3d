/* vp-signer.h: the van's Ed25519 journal key (OpenSSL 3 EVP).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vp-types.h"

G_BEGIN_DECLS

#define VP_SIGNER_ERROR (vp_signer_error_quark ())

typedef enum
{
  VP_SIGNER_ERROR_CRYPTO,
  VP_SIGNER_ERROR_IO,
  VP_SIGNER_ERROR_KEY,
  VP_SIGNER_ERROR_BAD_SIGNATURE,
} VpSignerError;

GQuark    vp_signer_error_quark      (void);

VpSigner *vp_signer_generate         (GError    **error);
/* Writes the private key as PKCS#8 PEM, mode 0600, atomically
 * (temp file + fsync + rename). Refuses to overwrite an existing file. */
gboolean  vp_signer_save             (VpSigner   *signer,
                                      const char *path,
                                      GError    **error);
/* Refuses a key file readable by group or others. */
VpSigner *vp_signer_load             (const char *path,
                                      GError    **error);
void      vp_signer_free             (VpSigner   *signer);
/* SubjectPublicKeyInfo PEM. */
char     *vp_signer_public_key_pem   (VpSigner   *signer);
/* base64 Ed25519 signature of data. */
char     *vp_signer_sign             (VpSigner     *signer,
                                      const guint8 *data,
                                      gsize         len,
                                      GError      **error);
gboolean  vp_signature_verify        (const char   *public_key_pem,
                                      const guint8 *data,
                                      gsize         len,
                                      const char   *signature_b64,
                                      GError      **error);

/* A public key parsed once for many verifications. One VpVerifier may be
 * used by several threads at once. */
typedef struct _VpVerifier VpVerifier;

VpVerifier *vp_verifier_new          (const char   *public_key_pem,
                                      GError      **error);
gboolean  vp_verifier_verify         (VpVerifier   *verifier,
                                      const guint8 *data,
                                      gsize         len,
                                      const char   *signature_b64,
                                      GError      **error);
void      vp_verifier_free           (VpVerifier   *verifier);

/* SHA-256 helpers. */
char     *vp_sha256_hex              (const guint8 *data,
                                      gsize         len);
gboolean  vp_hex_decode              (const char   *hex,
                                      guint8       *out,
                                      gsize         out_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpSigner, vp_signer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VpVerifier, vp_verifier_free)

G_END_DECLS

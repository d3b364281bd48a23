/* SPDX-License-Identifier: MIT */
/*
 * Reader side of the DESFire EV1 commands the door path needs (SelectApplication,
 * GetKeyVersion, AuthenticateAES), over any transport that exchanges ISO 7816
 * wrapped APDUs (90 INS 00 00 [Lc data] 00 -> data || 91 status).
 *
 * Why not libfreefare 0.4.0 here: its transceive macro writes res[n-2] and copies
 * n-2 bytes without checking n, so a one-byte answer from a hostile card makes it
 * memcpy (size_t)-1 bytes (the process aborts), and it waits forever (timeout 0)
 * for a silent card. Every answer here is length-checked before use.
 *
 * Pure protocol code: no logging, no allocation, thread-compatible.
 */
#ifndef VAULT_DESFIRE_CLIENT_H
#define VAULT_DESFIRE_CLIENT_H
#include <stddef.h>
#include <stdint.h>

/* Send apdu (n bytes), receive at most max bytes into ans. Returns the answer
 * length or -errno (transport failure). */
typedef int (*vault_desfire_xfer_fn)(void *ud, const uint8_t *apdu, size_t n, uint8_t *ans,
				     size_t max);

/* Split an answer into data and status: returns the data length (>= 0), sets *st and
 * *data; -EBADMSG when shorter than 2 bytes or SW1 is not 0x91. */
int vault_desfire_parse_answer(const uint8_t *ans, size_t n, uint8_t *st, const uint8_t **data);

/* Each returns 0 on success; -ENOENT (application not found, 0xA0), -EACCES
 * (authentication refused by the card, 0xAE, or the card's proof is wrong),
 * -EBADMSG (malformed or wrong-length answer), -EPROTO (other DESFire status, in
 * *ret_status when not NULL), or the transport's -errno. Outputs untouched on
 * failure. */
int vault_desfire_select(vault_desfire_xfer_fn x, void *ud, const uint8_t aid[3],
			 uint8_t *ret_status);
int vault_desfire_key_version(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
			      uint8_t *ret_version, uint8_t *ret_status);
/* AES-128 mutual authentication (0xAA) with key. rnda: 16 random bytes from the
 * caller (PCD challenge). On success *ret_session (if not NULL) gets the session key. */
int vault_desfire_auth_aes(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
			   const uint8_t key[16], const uint8_t rnda[16], uint8_t *ret_session,
			   uint8_t *ret_status);

/* ---- enrolment steps ---- */
/* Legacy authentication (0x0A) with a DES/2K3DES key (K1||K2; DES: K||K), as the
 * factory PICC master key needs. Returns as above. */
int vault_desfire_auth_legacy(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
			      const uint8_t key[16], const uint8_t rnda[8], uint8_t *ret_status);
/* CreateApplication with nkeys AES keys (legacy or no session: plain). -EEXIST for
 * DUPLICATE_ERROR (0xDE). */
int vault_desfire_create_app_aes(vault_desfire_xfer_fn x, void *ud, const uint8_t aid[3],
				 uint8_t settings, uint8_t nkeys, uint8_t *ret_status);
/* ChangeKey of the key the AES session was opened with, directly after
 * vault_desfire_auth_aes (session IV still zero): new key + version, CRC32, padded,
 * CBC-encrypted with the session key. The card ends the session. */
int vault_desfire_change_own_key_aes(vault_desfire_xfer_fn x, void *ud, uint8_t keyno,
				     const uint8_t session[16], const uint8_t newkey[16],
				     uint8_t version, uint8_t *ret_status);
#endif

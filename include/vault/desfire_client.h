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
#endif

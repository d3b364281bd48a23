/* SPDX-License-Identifier: MIT */
/*
 * A MIFARE DESFire EV1 card model for the PN532 emulator and for tests: it answers
 * native DESFire commands wrapped in ISO 7816 APDUs (CLA 0x90, as libfreefare 0.4.0
 * sends them: 90 INS 00 00 [Lc data] 00, answered data || 91 status).
 *
 * Implemented: GetVersion (3 frames), SelectApplication, AuthenticateAES (0xAA, real
 * AES-128 CBC with a running IV), legacy Authenticate (0x0A, DES/2K3DES, for the
 * blank PICC master key), GetKeyVersion, GetKeySettings, GetApplicationIDs,
 * CreateApplication (DES or AES keys), ChangeKey (AES session, same or other key),
 * FormatPICC. After AES authentication the model keeps EV1 secure messaging: every
 * plain command advances the session IV by its CMAC, successful answers carry an
 * 8-byte CMAC, and any error ends the session, as the EV1 datasheet describes.
 *
 * Not thread-safe: one owner. No logging.
 */
#ifndef VAULT_DESFIRE_MODEL_H
#define VAULT_DESFIRE_MODEL_H
#include <stddef.h>
#include <stdint.h>

#define VAULT_DESFIRE_MAX_APPS 8
/* Longest answer the model produces (GetVersion part 3 / AID list + CMAC + SW). */
#define VAULT_DESFIRE_MAX_RESP 64

struct vault_desfire_card;

/* A blank card: PICC master key = DES all-zero (the factory default), PICC key
 * settings 0x0F (free create/list), no applications. uid_len is 4, 7 or 10.
 * Returns 0, -EINVAL or -ENOMEM. */
int vault_desfire_card_new(const uint8_t *uid, size_t uid_len, struct vault_desfire_card **ret);
void vault_desfire_card_free(struct vault_desfire_card *c);

/* Add an application with nkeys (1..14) AES keys, key 0 = key0 with version keyver,
 * the others all-zero version 0. settings is the application key settings byte
 * (0x0B: master key changeable, free list, config changeable, keys changed with
 * the master key). Returns 0, -EEXIST, -ENOSPC or -EINVAL. */
int vault_desfire_card_add_aes_app(struct vault_desfire_card *c, const uint8_t aid[3],
				   uint8_t settings, uint8_t nkeys, const uint8_t key0[16],
				   uint8_t keyver);

/* Read back a key (tests). Returns 0 or -ENOENT. */
int vault_desfire_card_get_key(const struct vault_desfire_card *c, const uint8_t aid[3],
			       uint8_t keyno, uint8_t ret_key[16], uint8_t *ret_version);

/* Random source for challenges (RndB). Default: OpenSSL RAND_bytes. Tests use a
 * fixed source to replay published examples. */
void vault_desfire_card_set_rng(struct vault_desfire_card *c,
				void (*rng)(void *ud, uint8_t *buf, size_t n), void *ud);

/* The card left the field or was re-selected: lose authentication, select the PICC. */
void vault_desfire_card_reset(struct vault_desfire_card *c);

/* Process one command APDU. Writes the answer into out (at most outmax bytes).
 * Returns the answer length, or -EINVAL for a NULL/oversized argument. Malformed
 * APDUs get an ISO status word (67 00, 6E 00), never a crash. */
int vault_desfire_card_apdu(struct vault_desfire_card *c, const uint8_t *in, size_t inlen,
			    uint8_t *out, size_t outmax);

/* DESFire CRC32 (reflected 0xEDB88320, preset 0xFFFFFFFF, no final XOR). */
uint32_t vault_desfire_crc32(const uint8_t *data, size_t len);
#endif

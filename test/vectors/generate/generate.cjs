/**
 * Known-answer vectors for crossproof, computed by implementations independent of the SDK's:
 *  - RFC 8785: `json-canonicalize` and `@truestamp/canonify` (both must agree), not the SDK's `canonicalize`;
 *  - SHA-256, keccak256, ABI encoding, EIP-712 hashing and signing: viem (on @noble), not ethers;
 *  - the EIP-712 type strings and domain names are read from the Solidity sources in `contracts/`, not from the
 *    SDK's type tables.
 *
 * Run OUTSIDE the project (it needs packages the project does not depend on):
 *   cp -r test/vectors/generate /tmp/kat && cd /tmp/kat && npm ci && node generate.cjs /path/to/crossproof
 * It rewrites test/vectors/{manifests,custody,eip712,ids}.json and checks test/vectors/rfc8785.json (hand-encoded
 * from the RFC) against both canonicalisers.
 *
 * Hardhat's test runner loads every .cjs file under test/: loaded that way this file does nothing.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");

// ---------------------------------------------------------------------------------------------------------------
// Fixed inputs
// ---------------------------------------------------------------------------------------------------------------

/** Anvil / Hardhat development account #0: a public test key, never used for anything real. */
const SIGNING_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const UINT48_MAX = (1n << 48n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;
const h32 = (byte) => `0x${byte.repeat(32)}`;

const SAMPLE_ACQUISITION = {
  tool: { name: "crossproof-capture", version: "1.4.2" },
  method: "screen-recording",
  collector: { name: "Inspectrice Hélène Durand", organisation: "Agence FR", memberId: 1 },
  collectedAt: "2026-11-28T10:15:00+01:00",
  timeZone: "Europe/Paris",
  source: { url: "https://streams.example/live/123", platform: "Streamly", account: "uploader-77" },
  jurisdiction: { collecting: "FR", firstUpload: "US", primaryDissemination: "DE" },
};

function manifests(sha256Text) {
  const file = (p, content, mediaType, size) => ({
    path: p,
    size: size ?? content.length,
    sha256: sha256Text(content),
    mediaType,
  });
  return [
    {
      name: "format 1, minimal, ASCII only",
      manifest: {
        format: "crossproof-evidence-manifest/1",
        category: 0,
        files: [file("a.txt", "a", "text/plain")],
        acquisition: {
          tool: { name: "t", version: "1" },
          method: "download",
          collector: { name: "Officer A" },
          collectedAt: "2026-01-01T00:00:00Z",
          source: { url: "https://example.org/a.txt" },
          jurisdiction: { collecting: "DE" },
        },
      },
    },
    {
      name: "format 1, as the SDK wrote them before format 2 (accented names)",
      manifest: {
        format: "crossproof-evidence-manifest/1",
        category: 1,
        files: [file("capture/stream.mp4", "video bytes", "video/mp4"), file("capture/page.html", "html", "text/html")],
        acquisition: SAMPLE_ACQUISITION,
      },
    },
    {
      name: "format 2, a screen recording with its web-capture context, witness and legal authority",
      manifest: {
        format: "crossproof-evidence-manifest/2",
        category: 3,
        files: [file("capture.webm", "webm bytes", "video/webm"), file("capture.har", "{}", "application/json")],
        acquisition: {
          ...SAMPLE_ACQUISITION,
          collectedAt: "2026-11-28T10:15:00+01:00",
          startedAt: "2026-11-28T10:14:30.5+01:00",
          endedAt: "2026-11-28T12:14:30.500000001+01:00",
          witnesses: [{ name: "Brigadier Paul Lefèvre", organisation: "Agence FR", role: "second officer" }],
          webCapture: {
            userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            resolvedAddresses: ["192.0.2.10", "2001:db8::10"],
            dnsAnswers: [
              { name: "streams.example", type: "CNAME", value: "edge.cdn.example.", ttl: 60 },
              { name: "edge.cdn.example", type: "A", value: "192.0.2.10", ttl: 300 },
              { name: "edge.cdn.example", type: "AAAA", value: "2001:db8::10" },
            ],
            resolver: "192.0.2.53 (agency resolver)",
            tls: {
              certificateChainSha256: sha256Text("chain"),
              protocol: "TLSv1.3",
              cipherSuite: "TLS_AES_128_GCM_SHA256",
              serverName: "streams.example",
            },
            egressAddress: "198.51.100.7",
            httpStatus: 200,
          },
          legalAuthority: {
            reference: "Code de procédure pénale, art. 60-1; réquisition n° 2026/118",
            issuedBy: "Parquet de Lyon",
            issuedOn: "2026-11-27",
            jurisdiction: "FR",
          },
        },
      },
    },
    {
      name: "format 2, a live forensic image with every device field, verification and a deviation",
      manifest: {
        format: "crossproof-evidence-manifest/2",
        category: 8,
        files: [
          file("image/disk0.E01", "e01", "application/x-ewf", 64424509440),
          file("notes/photo-1.jpg", "photo", "image/jpeg", 2311042),
        ],
        acquisition: {
          tool: {
            name: "FTK Imager",
            version: "4.7.1.2",
            validation: {
              reference: "Lab validation report VAL-2026-014 (NIST CFTT test plan, disk imaging)",
              date: "2026-03-02",
              documentSha256: sha256Text("validation report"),
            },
          },
          method: "forensic-image",
          methodDescription: "Live image of the running laptop's internal SSD through a hardware write blocker",
          methodJustification: "Full-disk encryption unlocked only while running: a dead-box image would be unreadable",
          collector: { name: "Inspectrice Hélène Durand", organisation: "Agence FR", memberId: 1 },
          startedAt: "2026-11-28T09:02:11+01:00",
          collectedAt: "2026-11-28T09:02:11+01:00",
          endedAt: "2026-11-28T11:47:53.250+01:00",
          timeZone: "Europe/Paris",
          source: { location: "Office 3, 12 rue de l'Exemple, Lyon" },
          devices: [
            {
              kind: "computer",
              make: "Lenovo",
              model: "ThinkPad T14 Gen 4",
              serialNumber: "PF-4XK2Q9",
              identifiers: [{ scheme: "exhibit", value: "FR-2026-0042/EX-1" }],
              capacityBytes: 512110190592,
              state: { power: "on", description: "Screen unlocked, Wi-Fi connected" },
              verification: {
                performed: true,
                hashes: [
                  {
                    algorithm: "md5",
                    source: "9e107d9d372bb6826bd81d3542a419d6",
                    copy: "9e107d9d372bb6826bd81d3542a419d6",
                  },
                  { algorithm: "sha-256", source: sha256Text("disk"), copy: sha256Text("disk") },
                ],
                copyFile: "image/disk0.E01",
              },
            },
            {
              kind: "removable-medium",
              description: "Unlabelled 32 GB USB stick found in the laptop",
              state: { power: "off" },
              verification: { performed: false, reason: "The stick's controller failed during the read" },
            },
          ],
          deviations: [
            {
              description: "The laptop was disconnected from Wi-Fi before imaging, changing its network state",
              justification: "To stop remote wiping",
              responsible: "Inspectrice Hélène Durand",
              at: "2026-11-28T09:01:00+01:00",
            },
          ],
          jurisdiction: { collecting: "FR" },
        },
      },
    },
    {
      name: "format 2, text RFC 8785 must escape or keep: quotes, backslash, controls, U+2028, non-BMP, RTL, CJK",
      manifest: {
        format: "crossproof-evidence-manifest/2",
        category: 63,
        files: [
          file("données/𝄞 partition.pdf", "pdf", "application/pdf", 9007199254740991),
          file("데이터/שלום.txt", "txt", "text/plain", 0),
        ],
        acquisition: {
          tool: { name: 'capture "pro"', version: "2.0\\beta" },
          method: "other",
          methodDescription: "Tab\there, newline\nthere, bell \u0007, DEL \u007f, U+2028 \u2028 and U+2029 \u2029",
          methodJustification: "</script> & <!-- 😀 --> ﬀ ℌ Å ﬃ (compatibility characters are NFC)",
          collector: { name: "محمد بن علي", organisation: "警察庁" },
          collectedAt: "2026-06-30T23:59:59.999999999-09:30",
          source: { account: "user\u0000null", platform: "Ω\u00e9" },
          jurisdiction: { collecting: "JP", firstUpload: "KR", primaryDissemination: "IL" },
          notes: "Euro € and emoji 🧾 and a surrogate pair 𝄞",
        },
      },
    },
  ];
}

/** 32 secret-looking salts for handler references. */
const SALT_A = h32("5a");
const SALT_B = h32("a5");

function custodyDocuments(handlerRef, sha256Text) {
  const recordId = "0x" + "0123456789abcdef".repeat(4);
  return [
    {
      name: "minimal: purpose, location, handler",
      document: {
        format: "crossproof-custody-details/1",
        recordId,
        eventType: "Collected",
        purpose: "Capture of an infringing live stream, case FR-2026-0042",
        location: { description: "FR agency capture workstation 3" },
        handler: { reference: handlerRef("FR-DGSI 12345 Hélène Durand", SALT_A) },
      },
    },
    {
      name: "a transfer with every field",
      document: {
        format: "crossproof-custody-details/1",
        recordId,
        eventType: "Transferred",
        purpose: "Handover to the DE court for the hearing of case FR-2026-0042",
        location: {
          description: "Evidence store, room 2.14",
          facility: "Agence FR, Paris",
          jurisdiction: "FR",
          timeZone: "Europe/Paris",
        },
        handler: {
          reference: handlerRef("FR-DGSI 12345 Hélène Durand", SALT_A),
          role: "evidence custodian",
          memberId: 1,
        },
        witnesses: [{ reference: handlerRef("FR-DGSI 67890 Paul Lefèvre", SALT_B), role: "second officer" }],
        authority: { reference: "Décision d'entraide pénale n° 2026/77", documentSha256: sha256Text("decision") },
        seals: [{ identifier: "FR-SEAL-000417", intact: true }, { identifier: "FR-SEAL-000418" }],
        transport: { method: "encrypted package through the FR gateway", reference: "outbox 8812" },
        hashVerification: { algorithm: "sha-256", expected: sha256Text("package"), computed: sha256Text("package") },
        packageCid: "bafkreie7ohywtosou76tasm7j63yigtzxe7d5zqus4zu3j6oltvgtibeom",
        changes: [{ description: "Exhibit bag replaced (torn)", justification: "Keep the seal intact for transport" }],
        notes: "Receipt expected by the DE court's custodian.",
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Solidity sources → EIP-712 types
// ---------------------------------------------------------------------------------------------------------------

const CONTRACTS = [
  "EvidenceRegistry",
  "LicenseRegistry",
  "AssistanceDesk",
  "Consortium",
  "ConsortiumGovernance",
  "RecognitionAgreements",
];

/** The concatenated string literals of every `..._TYPEHASH = keccak256("…" "…")` in a contract. */
function typeStrings(source) {
  const out = [];
  const re = /_TYPEHASH\s*=\s*keccak256\(\s*((?:"[^"]*"\s*)+)\)/g;
  for (const m of source.matchAll(re)) out.push([...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]).join(""));
  return out;
}

/** "A(uint8 x,B b)B(bytes2 y)" → { A: [...], B: [...] } with A first. */
function parseEncodeType(s) {
  const types = {};
  const order = [];
  for (const m of s.matchAll(/([A-Za-z0-9_]+)\(([^)]*)\)/g)) {
    types[m[1]] =
      m[2] === ""
        ? []
        : m[2].split(",").map((f) => {
            const [type, name] = f.trim().split(/\s+/);
            return { name, type };
          });
    order.push(m[1]);
  }
  return { primary: order[0], types };
}

function contractTypes(repo) {
  const out = {};
  for (const c of CONTRACTS) {
    const source = fs.readFileSync(path.join(repo, "contracts", `${c}.sol`), "utf8");
    const name = /MemberSigned\("([^"]+)"/.exec(source)[1];
    const requests = {};
    const structs = {};
    for (const s of typeStrings(source)) {
      const { primary, types } = parseEncodeType(s);
      Object.assign(structs, types);
      requests[primary] = s;
    }
    out[c] = { name, requests, structs };
  }
  const base = fs.readFileSync(path.join(repo, "contracts", "base", "MemberSigned.sol"), "utf8");
  const version = /_VERSION\s*=\s*"([^"]+)"/.exec(base)[1];
  return { contracts: out, version };
}

// ---------------------------------------------------------------------------------------------------------------
// EIP-712 requests (values chosen to reach the edges: empty bytes, max integers, arrays, nested struct)
// ---------------------------------------------------------------------------------------------------------------

function requestValues(v) {
  const addr = (n) => v.getAddress(`0x${n.repeat(20)}`);
  const FR = "0x4652";
  const DE = "0x4445";
  const US = "0x5553";
  return {
    EvidenceRegistry: {
      AnchorEvidence: [
        {
          contentHash: h32("11"),
          packageCid: "0x01551220" + "22".repeat(32),
          category: 3,
          firstUpload: US,
          primaryDissemination: DE,
          caseRef: h32("33"),
          collectedAt: 1795857300n,
          supersedes: h32("00"),
          deadline: 1795860900n,
        },
        {
          contentHash: h32("ff"),
          packageCid: "0x",
          category: 63,
          firstUpload: "0x0000",
          primaryDissemination: "0x0000",
          caseRef: h32("00"),
          collectedAt: 0n,
          supersedes: h32("ee"),
          deadline: UINT48_MAX,
        },
      ],
      AnchorBatch: [
        {
          root: h32("44"),
          count: 4294967295n,
          manifestCid: "0x01551220" + "55".repeat(32),
          category: 8,
          deadline: 1795860900n,
        },
      ],
      RecordCustody: [
        {
          recordId: h32("66"),
          eventType: 4,
          counterparty: 2n,
          occurredAt: 1795857400n,
          detailsHash: h32("77"),
          nonce: 0n,
          deadline: 1795860900n,
        },
        {
          recordId: h32("66"),
          eventType: 11,
          counterparty: UINT64_MAX,
          occurredAt: UINT48_MAX,
          detailsHash: h32("00"),
          nonce: UINT256_MAX,
          deadline: UINT48_MAX,
        },
      ],
      Endorse: [{ recordId: h32("66"), verdict: 1, reportHash: h32("88"), nonce: 7n, deadline: 1795860900n }],
      RetractEvidence: [{ recordId: h32("66"), reasonHash: h32("99"), nonce: 1n, deadline: 1795860900n }],
      RetractBatch: [{ batchId: h32("aa"), reasonHash: h32("99"), nonce: 2n, deadline: 1795860900n }],
    },
    LicenseRegistry: {
      RegisterWork: [
        {
          contentHash: h32("11"),
          fingerprintHash: h32("12"),
          rightsHolder: addr("a1"),
          originJurisdiction: FR,
          metadataCid: "0x01551220" + "13".repeat(32),
          deadline: 1795860900n,
        },
      ],
      AssignWork: [
        {
          workId: h32("11"),
          from: addr("a1"),
          to: addr("b2"),
          agreementHash: h32("14"),
          nonce: 3n,
          deadline: 1795860900n,
        },
      ],
      GrantLicence: [
        {
          workId: h32("11"),
          parentId: h32("00"),
          licensor: addr("a1"),
          licensee: addr("c3"),
          rights: 63,
          grantType: 2,
          sublicensable: true,
          start: 0n,
          backdated: false,
          end: UINT48_MAX,
          worldwide: false,
          territories: [FR, DE, US],
          agreementHash: h32("15"),
          salt: h32("16"),
          deadline: 1795860900n,
        },
        {
          workId: h32("11"),
          parentId: h32("17"),
          licensor: addr("c3"),
          licensee: addr("d4"),
          rights: 5,
          grantType: 0,
          sublicensable: false,
          start: 1767225600n,
          backdated: true,
          end: 1798761600n,
          worldwide: true,
          territories: [],
          agreementHash: h32("00"),
          salt: h32("18"),
          deadline: 1795860900n,
        },
      ],
      RevokeLicence: [{ licenceId: h32("19"), reasonHash: h32("1a"), nonce: 0n, deadline: 1795860900n }],
      SetResidence: [
        { workId: h32("11"), holder: addr("a1"), residence: FR, nonce: 3n, deadline: 1795860900n },
        { workId: h32("ff"), holder: addr("b2"), residence: "0x0000", nonce: UINT256_MAX, deadline: UINT48_MAX },
      ],
      SetFingerprint: [
        {
          workId: h32("11"),
          holder: addr("a1"),
          fingerprintHash: h32("1d"),
          fingerprintCid: "0x01551220" + "1e".repeat(32),
          nonce: 4n,
          deadline: 1795860900n,
        },
        {
          workId: h32("ff"),
          holder: addr("b2"),
          fingerprintHash: h32("00"),
          fingerprintCid: "0x",
          nonce: UINT256_MAX,
          deadline: UINT48_MAX,
        },
      ],
      LinkAccount: [
        { licensee: addr("d4"), platform: 4n, accountHash: h32("1c"), nonce: 0n, deadline: 1795860900n },
        {
          licensee: addr("e5"),
          platform: UINT64_MAX,
          accountHash: h32("ff"),
          nonce: UINT256_MAX,
          deadline: UINT48_MAX,
        },
      ],
      UnlinkAccount: [{ platform: 4n, accountHash: h32("1c"), nonce: 1n, deadline: 1795860900n }],
      FileWorkDispute: [
        {
          workId: h32("11"),
          claimant: addr("e5"),
          fromHolding: 4294967295n,
          evidenceHash: h32("1b"),
          nonce: 9n,
          deadline: 1795860900n,
        },
      ],
    },
    AssistanceDesk: {
      IssueAssistance: [
        {
          addressee: 4n,
          kind: 1,
          emergencyReason: 0,
          justificationHash: h32("00"),
          caseRef: h32("21"),
          evidenceIds: [h32("22"), h32("23")],
          contentRefsHash: h32("24"),
          dataCategories: 7,
          firstUpload: US,
          primaryDissemination: FR,
          legalBasisHash: h32("25"),
          salt: h32("26"),
          deadline: 1795860900n,
        },
        {
          addressee: UINT64_MAX,
          kind: 2,
          emergencyReason: 3,
          justificationHash: h32("27"),
          caseRef: h32("00"),
          evidenceIds: [],
          contentRefsHash: h32("00"),
          dataCategories: 255,
          firstUpload: "0x0000",
          primaryDissemination: "0x0000",
          legalBasisHash: h32("28"),
          salt: h32("29"),
          deadline: UINT48_MAX,
        },
      ],
      AcknowledgeAssistance: [{ requestId: h32("2a"), nonce: 0n, deadline: 1795860900n }],
      RespondAssistance: [
        {
          requestId: h32("2a"),
          outcome: 1,
          responseHash: h32("2b"),
          responseCid: "0x01551220" + "2c".repeat(32),
          refusalGrounds: 0,
          nonce: 1n,
          deadline: 1795860900n,
        },
        {
          requestId: h32("2a"),
          outcome: 3,
          responseHash: h32("00"),
          responseCid: "0x",
          refusalGrounds: 2,
          nonce: 2n,
          deadline: 1795860900n,
        },
      ],
      WithdrawAssistance: [{ requestId: h32("2a"), reasonHash: h32("2d"), nonce: 3n, deadline: 1795860900n }],
      ExtendRetention: [{ requestId: h32("2a"), retentionUntil: 1827396900n, nonce: 4n, deadline: 1795860900n }],
      IssueAssistanceOrder: [
        {
          addressee: 4n,
          kind: 1,
          emergencyReason: 0,
          justificationHash: h32("00"),
          caseRef: h32("21"),
          evidenceIds: [h32("22")],
          contentRefsHash: h32("24"),
          dataCategories: 18,
          firstUpload: US,
          primaryDissemination: FR,
          legalBasisHash: h32("25"),
          salt: h32("2e"),
          deadline: 1795860900n,
          order: {
            issuingAuthorityType: 4,
            issuingAuthorityHash: h32("41"),
            validatingAuthorityType: 1,
            validatingAuthorityHash: h32("42"),
            enforcingAuthority: 7n,
            offenceHash: h32("43"),
            offenceCategory: 12,
            dataFrom: 1764547200n,
            dataUntil: 1767225599n,
            targets: [h32("44"), h32("45")],
            flags: 1,
            language: "0x6672",
            orderHash: h32("46"),
            orderCid: "0x01551220" + "47".repeat(32),
            onBehalfOf: h32("00"),
          },
        },
        {
          addressee: UINT64_MAX,
          kind: 0,
          emergencyReason: 1,
          justificationHash: h32("27"),
          caseRef: h32("00"),
          evidenceIds: [],
          contentRefsHash: h32("00"),
          dataCategories: 31,
          firstUpload: "0x0000",
          primaryDissemination: "0x0000",
          legalBasisHash: h32("28"),
          salt: h32("2f"),
          deadline: UINT48_MAX,
          order: {
            issuingAuthorityType: 5,
            issuingAuthorityHash: h32("48"),
            validatingAuthorityType: 0,
            validatingAuthorityHash: h32("00"),
            enforcingAuthority: UINT64_MAX,
            offenceHash: h32("49"),
            offenceCategory: 255,
            dataFrom: 0n,
            dataUntil: UINT48_MAX,
            targets: [],
            flags: 3,
            language: "0x656e",
            orderHash: h32("4a"),
            orderCid: "0x",
            onBehalfOf: h32("4b"),
          },
        },
      ],
      AnswerAssistance: [
        {
          requestId: h32("2a"),
          outcome: 5,
          responseHash: h32("2b"),
          responseCid: "0x01551220" + "2c".repeat(32),
          refusalGrounds: 0,
          owedCategories: 2,
          owedHash: h32("4c"),
          signedAt: 1795857600n,
          nonce: 5n,
          deadline: 1795860900n,
        },
        {
          requestId: h32("2a"),
          outcome: 6,
          responseHash: h32("00"),
          responseCid: "0x",
          refusalGrounds: 255,
          owedCategories: 0,
          owedHash: h32("00"),
          signedAt: UINT48_MAX,
          nonce: UINT256_MAX,
          deadline: UINT48_MAX,
        },
      ],
      RequestClarification: [
        {
          requestId: h32("2a"),
          reason: 3,
          questionHash: h32("4d"),
          signedAt: 1795857600n,
          nonce: 6n,
          deadline: 1795860900n,
        },
      ],
      ProvideClarification: [
        {
          requestId: h32("2a"),
          answerHash: h32("4e"),
          answerCid: "0x01551220" + "4f".repeat(32),
          nonce: 7n,
          deadline: 1795860900n,
        },
        { requestId: h32("2a"), answerHash: h32("4e"), answerCid: "0x", nonce: 8n, deadline: 1795860900n },
      ],
      ReportImpossibility: [
        {
          requestId: h32("2a"),
          reasons: 0x7fen,
          detailsHash: h32("50"),
          signedAt: 1795857600n,
          nonce: 9n,
          deadline: 1795860900n,
        },
      ],
      ReviewAssistance: [
        {
          requestId: h32("2a"),
          ground: 0,
          reasonsHash: h32("00"),
          signedAt: 1795857600n,
          nonce: 0n,
          deadline: 1795860900n,
        },
        {
          requestId: h32("2a"),
          ground: 4,
          reasonsHash: h32("51"),
          signedAt: 1795857601n,
          nonce: 1n,
          deadline: 1795860900n,
        },
      ],
    },
    Consortium: {
      RevokeOwnKey: [{ memberId: 1n, key: addr("f6"), nonce: 0n, deadline: 1795860900n }],
      AddOwnPublicKey: [
        {
          memberId: 2n,
          purpose: 1,
          algorithm: 1,
          // RFC 7638 thumbprint input of the P-256 key of RFC 7515 A.3 (public members only, canonical order).
          jwk: `0x${Buffer.from(
            '{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",' +
              '"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}',
          ).toString("hex")}`,
          validFrom: 0n,
          validUntil: 0n,
          nonce: 2n,
          deadline: 1795860900n,
        },
      ],
      RevokeOwnPublicKey: [{ memberId: 2n, keyId: h32("f9"), nonce: 3n, deadline: 1795860900n }],
      AddOwnKey: [
        { memberId: 1n, key: addr("f7"), validFrom: 1795860000n, validUntil: 0n, nonce: 1n, deadline: 1795860900n },
        {
          memberId: UINT64_MAX,
          key: addr("f8"),
          validFrom: 0n,
          validUntil: UINT48_MAX,
          nonce: UINT256_MAX,
          deadline: UINT48_MAX,
        },
      ],
    },
    ConsortiumGovernance: {
      // The payloads are proposal vectors' payloads (see `proposals`), encoded as the contract decodes them.
      Propose: "from-proposals",
      Vote: [
        { proposalId: 1n, support: true, nonce: 5n, deadline: 1795860900n },
        { proposalId: UINT256_MAX, support: false, nonce: 0n, deadline: 1795860900n },
      ],
    },
    RecognitionAgreements: {
      ProposeAgreement: [
        {
          terms: {
            from: FR,
            to: DE,
            categories: (1n << 1n) | (1n << 3n) | (1n << 63n),
            minAssurance: 5,
            anchorWindow: 604800n,
            effectiveFrom: 1767225600n,
            expiresAt: 0n,
            responseWindow: 259200n,
            emergencyResponseWindow: 28800n,
            textHash: h32("31"),
          },
          nonce: 0n,
          deadline: 1795860900n,
        },
      ],
      ProposeAgreementWithAssistance: [
        {
          terms: {
            from: DE,
            to: FR,
            categories: 1n,
            minAssurance: 0,
            anchorWindow: 0n,
            effectiveFrom: 0n,
            expiresAt: 1830297600n,
            responseWindow: 0n,
            emergencyResponseWindow: 0n,
            textHash: h32("32"),
          },
          assistance: { profileId: 2n, retentionPeriod: 7776000n },
          nonce: 1n,
          deadline: 1795860900n,
        },
      ],
      ApproveAgreement: [{ agreementId: 1n, nonce: 0n, deadline: 1795860900n }],
      SetAgreementSuspended: [
        { agreementId: 2n, suspended: true, nonce: 1n, deadline: 1795860900n },
        { agreementId: 2n, suspended: false, nonce: 2n, deadline: 1795860900n },
      ],
    },
  };
}

/** Governance proposals: the SDK's parameters and the payload as `ConsortiumGovernance` abi.decodes it. */
function proposals(v, keccakText) {
  const addr = (n) => v.getAddress(`0x${n.repeat(20)}`);
  const enc = (types, values) =>
    v.encodeAbiParameters(
      types.map((type) => ({ type })),
      values,
    );
  // Role flags and proposal kinds as in contracts/base/Common.sol and IConsortiumGovernance.ProposalKind.
  const ROLE = { AGENCY: 1, COURT: 2, PLATFORM: 4, REGISTRY: 8, OPERATOR: 16, GOVERNOR: 32 };
  return [
    {
      parameters: {
        kind: "AdmitMember",
        jurisdiction: "BE",
        roles: ["AGENCY", "GOVERNOR"],
        name: "Police fédérale — Bruxelles",
        key: addr("b1"),
      },
      kind: 0,
      payload: enc(
        ["bytes2", "uint8", "bytes32", "address"],
        ["0x4245", ROLE.AGENCY | ROLE.GOVERNOR, keccakText("Police fédérale — Bruxelles"), addr("b1")],
      ),
    },
    { parameters: { kind: "SuspendMember", memberId: 3 }, kind: 1, payload: enc(["uint64"], [3n]) },
    { parameters: { kind: "ReinstateMember", memberId: 3 }, kind: 2, payload: enc(["uint64"], [3n]) },
    { parameters: { kind: "RemoveMember", memberId: 4 }, kind: 3, payload: enc(["uint64"], [4n]) },
    {
      parameters: { kind: "SetRoles", memberId: 2, roles: ["COURT", "GOVERNOR", "REGISTRY"] },
      kind: 4,
      payload: enc(["uint64", "uint8"], [2n, ROLE.COURT | ROLE.GOVERNOR | ROLE.REGISTRY]),
    },
    {
      parameters: { kind: "AddKey", memberId: 2, key: addr("b2"), validFrom: 1795860000, validUntil: 1827396000 },
      kind: 5,
      payload: enc(["uint64", "address", "uint48", "uint48"], [2n, addr("b2"), 1795860000n, 1827396000n]),
    },
    {
      parameters: { kind: "RevokeKey", memberId: 2, key: addr("b3") },
      kind: 6,
      payload: enc(["uint64", "address"], [2n, addr("b3")]),
    },
    {
      parameters: { kind: "SetGovernanceParameters", quorumNumerator: 2, quorumDenominator: 3, votingPeriod: 604800 },
      kind: 7,
      payload: enc(["uint16", "uint16", "uint32"], [2, 3, 604800]),
    },
    {
      parameters: { kind: "SetParameter", name: "crossproof.assistance.responseWindow", value: "259200" },
      kind: 8,
      payload: enc(["bytes32", "uint256"], [keccakText("crossproof.assistance.responseWindow"), 259200n]),
    },
    {
      parameters: {
        kind: "ResolveWorkDispute",
        licenseRegistry: addr("b4"),
        disputeId: "7",
        newHolder: addr("b5"),
        decisionHash: h32("b6"),
      },
      kind: 9,
      payload: enc(["address", "uint256", "address", "bytes32"], [addr("b4"), 7n, addr("b5"), h32("b6")]),
    },
    {
      parameters: { kind: "RevokePublicKey", memberId: 4, keyId: h32("b7") },
      kind: 10,
      payload: enc(["uint64", "bytes32"], [4n, h32("b7")]),
    },
    {
      // IRecognitionAgreements.AssistanceProfile, a static struct: its twelve fields in order, one word each. Kinds
      // and authority types are bits 1 << code (Produce = 1), data categories their bits (SUBSCRIBER = 1).
      parameters: {
        kind: "DefineAssistanceProfile",
        profile: {
          text: "Consortium profile: Second Additional Protocol, Art. 7 — subscriber information",
          responseWindow: 2592000,
          reviewWindow: 2592000,
          emergencyReviewWindow: 345600,
          sensitiveKinds: ["Produce"],
          sensitiveCategories: ["SUBSCRIBER"],
          clarificationPausesDeadline: false,
        },
      },
      kind: 11,
      payload: enc(
        [
          "uint32",
          "uint32",
          "uint32",
          "uint32",
          "uint32",
          "uint32",
          "uint8",
          "uint8",
          "uint8",
          "uint8",
          "bool",
          "bytes32",
        ],
        [
          2592000,
          0,
          0,
          0,
          2592000,
          345600,
          2,
          1,
          0,
          0,
          false,
          keccakText("Consortium profile: Second Additional Protocol, Art. 7 — subscriber information"),
        ],
      ),
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------

/** JSON with bigints written as decimal strings. */
const json = (value) => JSON.stringify(value, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2) + "\n";

/** RFC 4648 base32 (lower case, no padding), for CIDv1 strings ("b" multibase prefix). */
function base32Decode(s) {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

async function main() {
  const { canonicalize: jcsA } = require("json-canonicalize");
  const { canonify: jcsB } = require("@truestamp/canonify");
  const v = require("viem");
  const { privateKeyToAccount } = require("viem/accounts");

  const repo = path.resolve(process.argv[2] ?? path.join(__dirname, "..", "..", ".."));
  const out = path.join(repo, "test", "vectors");
  const generator = "test/vectors/generate/generate.cjs";
  const versions = Object.fromEntries(
    ["viem", "json-canonicalize"].map((p) => [p, require(`${p}/package.json`).version]),
  );
  versions["@truestamp/canonify"] = JSON.parse(
    fs.readFileSync(path.join(path.dirname(require.resolve("@truestamp/canonify")), "..", "package.json"), "utf8"),
  ).version;
  const meta = (what) => ({
    generatedBy: generator,
    independentOf: "the SDK (ethers, canonicalize, the SDK's type tables)",
    implementations: versions,
    what,
  });

  const jcs = (value) => {
    const a = jcsA(value);
    const b = jcsB(value);
    if (a !== b) throw new Error(`the two RFC 8785 implementations disagree:\n${a}\n${b}`);
    return a;
  };
  const sha256Bytes = (bytes) => v.sha256(bytes);
  const sha256Text = (s) => v.sha256(v.stringToBytes(s)).slice(2);
  const keccakText = (s) => v.keccak256(v.stringToBytes(s));

  // RFC 8785 cases, hand-encoded from the RFC: the two independent implementations must reproduce them.
  const rfc = JSON.parse(fs.readFileSync(path.join(out, "rfc8785.json"), "utf8"));
  for (const c of rfc.documents) {
    const got = jcs(JSON.parse(c.input));
    if (got !== c.canonical) throw new Error(`RFC 8785 ${c.section}: got ${got}`);
    if (c.utf8Hex !== undefined && Buffer.from(got, "utf8").toString("hex") !== c.utf8Hex.replace(/ /g, "")) {
      throw new Error(`RFC 8785 ${c.section}: UTF-8 bytes differ`);
    }
  }
  for (const c of rfc.numbers) {
    const n = Buffer.from(c.ieee754, "hex").readDoubleBE(0);
    if (c.canonical === null) continue; // NaN and Infinity: the SDK test checks they are refused
    if (jcs(n) !== c.canonical) {
      throw new Error(`RFC 8785 number ${c.ieee754}: got ${jcs(n)}, RFC says ${c.canonical}`);
    }
  }

  // Manifests: canonical form and package hash.
  const manifestVectors = manifests(sha256Text).map((m) => {
    const canonical = jcs(m.manifest);
    return { ...m, canonical, sha256: sha256Bytes(v.stringToBytes(canonical)) };
  });
  fs.writeFileSync(
    path.join(out, "manifests.json"),
    json({ ...meta("manifestHash(m) = SHA-256 of the UTF-8 RFC 8785 form of m"), vectors: manifestVectors }),
  );

  // Custody details documents and handler references.
  const handlerRef = (identity, salt) =>
    v.sha256(v.concat([v.hexToBytes(salt), v.stringToBytes(identity.normalize("NFC"))]));
  const references = [
    ["FR-DGSI 12345 Hélène Durand", SALT_A],
    ["FR-DGSI 67890 Paul Lefèvre", SALT_B],
    ["", SALT_A],
  ]
    .filter(([identity]) => identity !== "")
    .map(([identity, salt]) => ({ identity, salt, reference: handlerRef(identity, salt) }));
  const custodyVectors = custodyDocuments(handlerRef, sha256Text).map((d) => {
    const canonical = jcs(d.document);
    return { ...d, canonical, detailsHash: sha256Bytes(v.stringToBytes(canonical)) };
  });
  fs.writeFileSync(
    path.join(out, "custody.json"),
    json({
      ...meta(
        "custodyDetailsHash(d) = 0x + SHA-256 of the UTF-8 RFC 8785 form of d; handlerReference(identity, salt) = " +
          "0x + SHA-256(salt bytes ‖ UTF-8 of the NFC identity)",
      ),
      handlerReferences: references,
      documents: custodyVectors,
    }),
  );

  // EIP-712: every request type of every contract, types and names from the Solidity sources.
  const { contracts, version } = contractTypes(repo);
  const account = privateKeyToAccount(SIGNING_KEY);
  const domains = {
    local: { chainId: 31337n, salt: "0x" + "c0ffee00".repeat(8), base: "c" },
    production: { chainId: 2026112801n, salt: v.keccak256(v.stringToBytes("example consortium id")), base: "d" },
  };
  const proposalVectors = proposals(v, keccakText);
  const values = requestValues(v);
  values.ConsortiumGovernance.Propose = proposalVectors.slice(0, 3).map((p, i) => ({
    kind: p.kind,
    payload: p.payload,
    nonce: BigInt(i),
    deadline: 1795860900n,
  }));
  values.ConsortiumGovernance.Propose.push({ kind: 8, payload: "0x", nonce: UINT256_MAX, deadline: UINT48_MAX });
  const eip712 = [];
  for (const [contract, spec] of Object.entries(contracts)) {
    const given = Object.keys(values[contract]).sort();
    const declared = Object.keys(spec.requests)
      .filter((t) => !isNestedOnly(spec, t))
      .sort();
    if (given.join() !== declared.join())
      throw new Error(`${contract}: vectors for ${given} but the contract has ${declared}`);
    for (const [primaryType, messages] of Object.entries(values[contract])) {
      for (const [index, message] of messages.entries()) {
        for (const [domainLabel, d] of Object.entries(domains)) {
          const verifyingContract = v.getAddress(`0x${d.base}${String(CONTRACTS.indexOf(contract) + 1).repeat(39)}`);
          const domain = { name: spec.name, version, chainId: d.chainId, verifyingContract, salt: d.salt };
          const types = typesFor(spec.structs, primaryType);
          const args = { domain, types, primaryType, message };
          eip712.push({
            contract,
            primaryType,
            case: index + 1,
            domainLabel,
            encodeType: spec.requests[primaryType],
            typeHash: v.keccak256(v.stringToBytes(spec.requests[primaryType])),
            domain,
            message,
            domainSeparator: v.hashDomain({ domain, types: { EIP712Domain: v.getTypesForEIP712Domain({ domain }) } }),
            structHash: v.hashStruct({ data: message, primaryType, types }),
            digest: v.hashTypedData(args),
            signature: await account.signTypedData(args),
          });
        }
      }
    }
  }
  fs.writeFileSync(
    path.join(out, "eip712.json"),
    json({
      ...meta(
        "EIP-712 digests and signatures of every request type of every crossproof contract; type strings and domain " +
          "names read from contracts/*.sol; domain = (name, version, chainId, verifyingContract, salt = consortium id)",
      ),
      signer: { privateKey: SIGNING_KEY, address: account.address, note: "Anvil development account #0 (public)" },
      vectors: eip712,
    }),
  );

  // Ids and hashes the SDK mirrors from the contracts.
  const enc = (types, vals) =>
    v.encodeAbiParameters(
      types.map((type) => ({ type })),
      vals,
    );
  const k = (types, vals) => v.keccak256(enc(types, vals));
  const recordIds = [
    { memberId: 1n, contentHash: h32("11") },
    { memberId: UINT64_MAX, contentHash: "0x" + "0123456789abcdef".repeat(4) },
  ].map((x) => ({ ...x, recordId: k(["uint64", "bytes32"], [x.memberId, x.contentHash]) }));
  const batchIds = [
    { memberId: 2n, root: h32("44") },
    { memberId: 1n, root: h32("11") },
  ].map((x) => ({ ...x, batchId: k(["uint64", "bytes32"], [x.memberId, x.root]) }));
  const batchLeaves = [h32("11"), h32("00")].map((recordHash) => ({
    recordHash,
    leaf: v.keccak256(v.keccak256(enc(["bytes32"], [recordHash]))),
  }));
  // A chain of custody: the first event links to the record id, each next one to the event before.
  const chainRecord = recordIds[0].recordId;
  const chainEvents = [
    { eventType: 0, actor: 1n, counterparty: 0n, occurredAt: 1795857300n, detailsHash: custodyVectors[0].detailsHash },
    { eventType: 3, actor: 1n, counterparty: 0n, occurredAt: 1795857400n, detailsHash: h32("00") },
    { eventType: 4, actor: 1n, counterparty: 2n, occurredAt: 1795857500n, detailsHash: custodyVectors[1].detailsHash },
    { eventType: 5, actor: 2n, counterparty: 1n, occurredAt: 1795943900n, detailsHash: h32("77") },
    { eventType: 11, actor: UINT64_MAX, counterparty: UINT64_MAX, occurredAt: UINT48_MAX, detailsHash: h32("ff") },
  ];
  let previous = chainRecord;
  const custodyEvents = chainEvents.map((e, sequence) => {
    const eventHash = k(
      ["bytes32", "bytes32", "uint32", "uint8", "uint64", "uint64", "uint48", "bytes32"],
      [previous, chainRecord, sequence, e.eventType, e.actor, e.counterparty, e.occurredAt, e.detailsHash],
    );
    const row = { previous, recordId: chainRecord, sequence, ...e, eventHash };
    previous = eventHash;
    return row;
  });
  const recordFields = [
    { signer: v.getAddress("0x" + "a1".repeat(20)), packageCid: "0x01551220" + "22".repeat(32), caseRef: h32("33") },
    { signer: v.getAddress("0x" + "00".repeat(20)), packageCid: "0x", caseRef: h32("00") },
  ].map((x) => ({
    ...x,
    fieldsHash: k(["address", "bytes32", "bytes32"], [x.signer, v.keccak256(x.packageCid), x.caseRef]),
  }));
  const licenceIds = [
    {
      workId: h32("11"),
      parentId: h32("00"),
      licensor: v.getAddress("0x" + "a1".repeat(20)),
      licensee: v.getAddress("0x" + "c3".repeat(20)),
      salt: h32("16"),
    },
    {
      workId: h32("11"),
      parentId: h32("17"),
      licensor: v.getAddress("0x" + "c3".repeat(20)),
      licensee: v.getAddress("0x" + "d4".repeat(20)),
      salt: h32("18"),
    },
  ].map((x) => ({
    ...x,
    licenceId: k(
      ["bytes32", "bytes32", "address", "address", "bytes32"],
      [x.workId, x.parentId, x.licensor, x.licensee, x.salt],
    ),
  }));
  const assistanceRequestIds = [
    { requester: 1n, addressee: 4n, salt: h32("26") },
    { requester: UINT64_MAX, addressee: 1n, salt: h32("00") },
  ].map((x) => ({ ...x, requestId: k(["uint64", "uint64", "bytes32"], [x.requester, x.addressee, x.salt]) }));
  const caseReferences = [
    { reference: "FR-2026-0042", salt: h32("11") },
    { reference: "Affaire n° 2026/É-17", salt: h32("12") },
  ].map((x) => ({ ...x, hash: v.keccak256(v.concat([x.salt, v.stringToHex(x.reference.normalize("NFC"))])) }));
  const recipientDetails = ["bafkreie7ohywtosou76tasm7j63yigtzxe7d5zqus4zu3j6oltvgtibeom"].map((cid) => ({
    cid,
    detailsHash: v.keccak256(base32Decode(cid.slice(1))),
  }));
  const textHashes = ["crossproof.assistance.responseWindow", "Accord de reconnaissance FR → DE, version signée"].map(
    (text) => ({ text, keccak256: keccakText(text.normalize("NFC")) }),
  );
  fs.writeFileSync(
    path.join(out, "ids.json"),
    json({
      ...meta(
        "ids and hashes the SDK mirrors from the contracts (keccak256 of abi.encode, as the Solidity writes them)",
      ),
      recordIds,
      batchIds,
      batchLeaves,
      custodyEvents,
      recordFields,
      licenceIds,
      assistanceRequestIds,
      caseReferences,
      recipientDetails,
      textHashes,
      proposals: proposalVectors,
    }),
  );
  console.log(
    `wrote ${manifestVectors.length} manifest, ${custodyVectors.length} custody, ${eip712.length} EIP-712 vectors, ` +
      `checked ${rfc.documents.length + rfc.numbers.length} RFC 8785 cases`,
  );
}

/** A struct type only referenced by others (AgreementTerms) is not a request. */
function isNestedOnly(spec, typeName) {
  return Object.entries(spec.requests).some(([primary, s]) => primary !== typeName && s.includes(`${typeName}(`));
}

/** The types a primary type needs: itself and the structs it references. */
function typesFor(structs, primaryType) {
  const out = {};
  const visit = (name) => {
    if (structs[name] === undefined || out[name] !== undefined) return;
    out[name] = structs[name];
    for (const f of structs[name]) visit(f.type.replace(/\[\d*\]$/, ""));
  };
  visit(primaryType);
  return out;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

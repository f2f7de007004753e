// A loopback SAML identity provider on samlify (xmldom + xml-crypto), a SAML
// stack independent of crewjam/saml (etree + goxmldsig), for Roster's SSO
// end-to-end tests. Started by sso/samlify_test.go; never used in production.
//
// Environment: IDP_KEY, IDP_CERT (PEM files), IDP_PORT (0 = any free port).
// It prints one JSON line {"port": N} on stdout once it is listening.
//
// Endpoints:
//   GET  /health             200 once the schema validator is warm
//   GET  /metadata           the IdP metadata (what a team imports)
//   POST /sp                 register an SP: body = the SP metadata XML
//   GET  /sso?SAMLRequest..  SP-initiated: verifies the signed Redirect
//                            AuthnRequest, answers JSON {SAMLResponse, RelayState, ACS}
//   POST /initiate           IdP-initiated: body {sp: entityID, ...options}
//   GET  /sso (Accept: text/html, no X-Test-Options), POST /login
//                            a browser's sign-in: a page asks for the email
//                            and names, then a form with a visible button
//                            posts the response to the ACS (no script)
// Options (header X-Test-Options on /sso, or the /initiate body): user
// {email, firstName, lastName, nameID, nameIDRaw}, sign "assertion" |
// "response" | "both", encrypt, sha1, audience (null drops the
// AudienceRestriction), noConditions, shiftSeconds, inResponseTo (override),
// defaultTemplate (samlify's built-in response: NameID only, no attributes).
'use strict';

const fs = require('fs');
const http = require('http');
const zlib = require('zlib');
const crypto = require('crypto');
const samlify = require('samlify');
const validator = require('@authenio/samlify-node-xmllint');

samlify.setSchemaValidator(validator);

const key = fs.readFileSync(process.env.IDP_KEY, 'utf8');
const cert = fs.readFileSync(process.env.IDP_CERT, 'utf8');
const port = Number(process.env.IDP_PORT || 0);
let base = '';
const sps = new Map(); // entityID -> SP metadata XML

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

function idp(opts) {
  return samlify.IdentityProvider({
    entityID: base + '/metadata',
    signingCert: cert,
    privateKey: key,
    nameIDFormat: [EMAIL],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: base + '/sso' }],
    wantAuthnRequestsSigned: true,
    requestSignatureAlgorithm: opts.sha1 ? RSA_SHA1 : RSA_SHA256,
    isAssertionEncrypted: !!opts.encrypt,
    dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
    keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  });
}

// sp builds samlify's view of a registered SP; the signing mode is chosen by
// what the SP metadata says (WantAssertionsSigned) and wantMessageSigned.
function sp(entityID, opts) {
  let md = sps.get(entityID);
  if (!md) throw new Error('unknown SP ' + entityID);
  const mode = opts.sign || 'assertion';
  if (mode === 'response') md = md.replace(/WantAssertionsSigned="true"/, 'WantAssertionsSigned="false"');
  return samlify.ServiceProvider({ metadata: md, wantMessageSigned: mode === 'response' || mode === 'both' });
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const newID = () => '_' + crypto.randomBytes(16).toString('hex');

// responseXML writes the whole Response, so every test knob is explicit.
function responseXML(v, opts) {
  const u = opts.user || {};
  const shift = (opts.shiftSeconds || 0) * 1000;
  const now = new Date(Date.now() + shift);
  const later = new Date(now.getTime() + 5 * 60 * 1000);
  const irt = v.InResponseTo ? ` InResponseTo="${esc(v.InResponseTo)}"` : '';
  const audience = opts.audience === null ? '' :
    `<saml:AudienceRestriction><saml:Audience>${esc(opts.audience || v.Audience)}</saml:Audience></saml:AudienceRestriction>`;
  const conditions = opts.noConditions ? '' :
    `<saml:Conditions NotBefore="${now.toISOString()}" NotOnOrAfter="${later.toISOString()}">${audience}</saml:Conditions>`;
  const attrs = [['email', u.email], ['firstName', u.firstName], ['lastName', u.lastName]]
    .filter(([, val]) => val)
    .map(([n, val]) => `<saml:Attribute Name="${n}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">${esc(val)}</saml:AttributeValue></saml:Attribute>`)
    .join('');
  const nameID = u.nameIDRaw || esc(u.nameID || u.email || '');
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${v.ID}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${esc(v.Destination)}"${irt}>` +
    `<saml:Issuer>${esc(v.Issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="${v.AssertionID}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${esc(v.Issuer)}</saml:Issuer><saml:Subject><saml:NameID Format="${EMAIL}">${nameID}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${later.toISOString()}" Recipient="${esc(v.Destination)}"${irt}/></saml:SubjectConfirmation></saml:Subject>` +
    conditions +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${v.AssertionID}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
    `</saml:Assertion></samlp:Response>`;
}

async function respond(spEntity, opts, inResponseTo, relayState) {
  const i = idp(opts);
  const s = sp(spEntity, opts);
  const acs = s.entityMeta.getAssertionConsumerService('post');
  const acsURL = Array.isArray(acs) ? acs[0] : acs;
  const v = {
    ID: newID(), AssertionID: newID(), Destination: acsURL, Audience: s.entityMeta.getEntityID(),
    Issuer: i.entityMeta.getEntityID(),
    InResponseTo: opts.inResponseTo !== undefined ? opts.inResponseTo : inResponseTo,
  };
  if (opts.defaultTemplate) {
    // samlify's own template: NameID only, no AttributeStatement
    const info = inResponseTo ? { extract: { request: { id: inResponseTo } } } : null;
    const res = await i.createLoginResponse(s, info, 'post', opts.user || {}, { relayState });
    return { SAMLResponse: res.context, RelayState: relayState || '', ACS: acsURL };
  }
  const res = await i.createLoginResponse(s, null, 'post', opts.user || {}, {
    relayState,
    // a Response signature must cover the EncryptedAssertion, so encrypt first
    encryptThenSign: !!opts.encrypt && (opts.sign === 'response' || opts.sign === 'both'),
    customTagReplacement: () => ({ id: v.ID, context: responseXML(v, opts) }),
  });
  return { SAMLResponse: res.context, RelayState: relayState || '', ACS: acsURL };
}

function body(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => { n += c.length; if (n > 1 << 20) { reject(new Error('body too large')); req.destroy(); } else chunks.push(c); });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function page(title, content) {
  return '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>' + esc(title) + '</title></head><body><main><h1>' +
    esc(title) + '</h1>' + content + '</main></body></html>';
}

function send(res, status, type, data) {
  res.writeHead(status, { 'Content-Type': type });
  res.end(typeof data === 'string' ? data : JSON.stringify(data));
}

// octetString is the signed part of a Redirect-binding query, still
// URL-encoded, in the order SAML Bindings §3.4.4.1 fixes.
function octetString(rawQuery) {
  const parts = {};
  for (const p of rawQuery.split('&')) {
    const k = p.split('=')[0];
    if (k === 'SAMLRequest' || k === 'RelayState' || k === 'SigAlg') parts[k] = p;
  }
  return ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => parts[k]).map((k) => parts[k]).join('&');
}

async function handle(req, res) {
  const url = new URL(req.url, base);
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, 'text/plain', 'ok');
  if (req.method === 'GET' && url.pathname === '/metadata') return send(res, 200, 'application/samlmetadata+xml', idp({}).getMetadata());
  if (req.method === 'POST' && url.pathname === '/sp') {
    const md = await body(req);
    const entityID = samlify.ServiceProvider({ metadata: md }).entityMeta.getEntityID();
    sps.set(entityID, md);
    return send(res, 200, 'application/json', { entityID });
  }
  if (req.method === 'GET' && url.pathname === '/sso' && !req.headers['x-test-options'] && /text\/html/.test(req.headers.accept || '')) {
    // A browser (the console's browser suite): a sign-in page, no script.
    const q = req.url.slice(req.url.indexOf('?') + 1);
    return send(res, 200, 'text/html; charset=utf-8', page('Sign in to the test IdP',
      '<form method="post" action="/login"><input type="hidden" name="q" value="' + esc(q) + '">' +
      '<label for="email">Email</label> <input id="email" name="email" type="email" required> ' +
      '<label for="first">First name</label> <input id="first" name="firstName"> ' +
      '<label for="last">Last name</label> <input id="last" name="lastName"> ' +
      '<button type="submit">Sign in</button></form>'));
  }
  if (req.method === 'POST' && url.pathname === '/login') {
    // The browser's sign-in: the signed AuthnRequest is verified as for
    // GET /sso, and the response goes to the ACS by a form with a visible
    // button (an auto-submitting form would need script).
    const f = new URLSearchParams(await body(req));
    const q = f.get('q') || '';
    const qs = new URLSearchParams(q);
    const xml = zlib.inflateRawSync(Buffer.from(qs.get('SAMLRequest'), 'base64')).toString('utf8');
    const issuer = (xml.match(/<(?:\w+:)?Issuer[^>]*>([^<]+)</) || [])[1];
    const info = await idp({}).parseLoginRequest(sp(issuer, {}), 'redirect', { query: Object.fromEntries(qs.entries()), octetString: octetString(q) });
    const user = { email: f.get('email'), firstName: f.get('firstName') || '', lastName: f.get('lastName') || '' };
    const out = await respond(issuer, { user }, info.extract.request.id, qs.get('RelayState'));
    return send(res, 200, 'text/html; charset=utf-8', page('Signed in at the test IdP',
      '<form method="post" action="' + esc(out.ACS) + '"><input type="hidden" name="SAMLResponse" value="' + esc(out.SAMLResponse) + '">' +
      '<input type="hidden" name="RelayState" value="' + esc(out.RelayState) + '"><button type="submit">Continue to Roster</button></form>'));
  }
  if (req.method === 'GET' && url.pathname === '/sso') {
    const opts = JSON.parse(req.headers['x-test-options'] || '{}');
    const xml = zlib.inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest'), 'base64')).toString('utf8');
    const issuer = (xml.match(/<(?:\w+:)?Issuer[^>]*>([^<]+)</) || [])[1];
    const s = sp(issuer, {});
    const rawQuery = req.url.slice(req.url.indexOf('?') + 1);
    const query = Object.fromEntries(url.searchParams.entries());
    const info = await idp({}).parseLoginRequest(s, 'redirect', { query, octetString: octetString(rawQuery) });
    const out = await respond(issuer, opts, info.extract.request.id, url.searchParams.get('RelayState'));
    out.RequestID = info.extract.request.id;
    out.SigAlg = url.searchParams.get('SigAlg');
    return send(res, 200, 'application/json', out);
  }
  if (req.method === 'POST' && url.pathname === '/initiate') {
    const opts = JSON.parse(await body(req));
    return send(res, 200, 'application/json', await respond(opts.sp, opts, '', opts.relayState || ''));
  }
  send(res, 404, 'text/plain', 'not found');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => send(res, 400, 'application/json', { error: String(err && err.message || err) }));
});

server.listen(port, '127.0.0.1', async () => {
  base = 'http://127.0.0.1:' + server.address().port;
  // warm the WASM schema validator (the first validation takes seconds)
  try { await validator.validate('<a/>'); } catch (e) { /* invalid on purpose */ }
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

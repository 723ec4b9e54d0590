import { Webhook } from 'standardwebhooks';
import { signatureHeader } from '../../src/webhooks/webhook-signature';
import { generateSecret } from '../../src/webhooks/webhook-subscriptions.service';

describe(signatureHeader.name, () => {
  const headersFor = (id: string, timestamp: Date, signature: string) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signature,
  });

  it('matches the Standard Webhooks test vector', () => {
    expect(
      signatureHeader(
        ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        new Date(1614265330 * 1000),
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every given secret, space-separated, each verifiable on its own', () => {
    const [current, previous, stranger] = [generateSecret(), generateSecret(), generateSecret()];
    const now = new Date();
    const body = JSON.stringify({ type: 'batch.created', timestamp: now.toISOString(), data: { batchId: 'b' } });
    const header = signatureHeader([current, previous], 'msg_1', now, body);

    expect(header.split(' ')).toHaveLength(2);
    expect(header.split(' ').every((part) => part.startsWith('v1,'))).toBe(true);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headersFor('msg_1', now, header))).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(stranger).verify(body, headersFor('msg_1', now, header))).toThrow('No matching signature');
    expect(() => new Webhook(current).verify(`${body} `, headersFor('msg_1', now, header))).toThrow('No matching signature');
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });
});

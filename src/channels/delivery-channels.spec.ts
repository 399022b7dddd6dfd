import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ChannelsModule } from './channels.module';
import { type ChannelAttempt, type DeliveryChannel, DeliveryChannelProvider } from './delivery-channel.port';
import { DeliveryChannels } from './delivery-channels';

/** A channel that does nothing, named as a test wants. */
function channelNamed(name: string) {
  @DeliveryChannelProvider()
  @Injectable()
  class NamedChannel implements DeliveryChannel {
    readonly name = name;
    addressOf = () => null;
    refresh = async () => undefined;
    holding = () => undefined;
    check = async () => undefined;
    take = async () => undefined;
    send = async (): Promise<ChannelAttempt> => ({ sent: true, reference: null, reply: null, sendMs: 0 });
  }
  return NamedChannel;
}

/** The application as far as channels go: ChannelsModule, and each channel in a module of its own. */
async function start(...channels: Array<ReturnType<typeof channelNamed>>) {
  const modules = channels.map((channel) => {
    @Module({ providers: [channel] })
    class ChannelModule {}
    return ChannelModule;
  });
  const module = await Test.createTestingModule({ imports: [ChannelsModule, ...modules] }).compile();
  await module.init();
  return module;
}

describe('DeliveryChannels', () => {
  it('finds every channel that modules register, by name, in their order', async () => {
    const module = await start(channelNamed('email'), channelNamed('chat-2'));
    const channels = module.get(DeliveryChannels);
    expect(channels.all.map((c) => c.name)).toEqual(['email', 'chat-2']);
    expect(channels.get('chat-2')?.name).toBe('chat-2');
    expect(channels.get('fax')).toBeUndefined();
    await module.close();
  });

  it('stops start-up when no channel is registered', async () => {
    await expect(start()).rejects.toThrow('No delivery channel is registered: import a channel module (EmailModule, src/email) into the application');
  });

  it('stops start-up when two channels share a name, naming both', async () => {
    const First = channelNamed('email');
    const Second = channelNamed('email');
    await expect(start(First, Second)).rejects.toThrow(/Two delivery channels are named "email": NamedChannel and NamedChannel/);
  });

  it('stops start-up on a name deliveries.channel cannot hold', async () => {
    await expect(start(channelNamed('E-mail'))).rejects.toThrow('Delivery channel NamedChannel is named "E-mail": a name is lowercase letters, digits and dashes, at most 32');
    await expect(start(channelNamed('x'.repeat(33)))).rejects.toThrow(/at most 32/);
  });
});

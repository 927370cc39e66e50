// English catalogue of federation (same keys as federation.fr.ts).
export const federationEn = {
  'federation.host_invalid': 'Invalid server name (for example: network.example.org).',
  'federation.host_own': 'That is this instance’s own name.',
  'federation.action_invalid': 'Choose: allow, limit or block.',
  'federation.mode_invalid': 'Choose: open, or allowed instances only.',
  'federation.lookup_invalid': 'Give a handle (@name@server) or the address of a profile.',
  'federation.lookup_not_found': 'No account or group found at that address.',
  'federation.not_federated': 'This instance does not federate with that server.',
  'federation.group_requested': 'Request sent to the group’s server ({host}): you will be a member as soon as it answers.',
  'federation.remote_badge': 'On {host}',
  'federation.remote_profile_link': 'See on their server',
  'federation.search_remote': 'On another server',
} as const;

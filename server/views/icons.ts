/**
 * Inline SVG icons (no icon font, nothing from another host), shown next to
 * words for readers who rely on pictures. Pages reference one cached sprite
 * (/assets/icons.svg) instead of repeating each path on every use.
 */
export const iconPaths = {
  home: 'M3 11l9-8 9 8v10h-6v-6H9v6H3z',
  user: 'M12 12a5 5 0 100-10 5 5 0 000 10zm-8 10a8 8 0 0116 0z',
  login: 'M10 17l5-5-5-5v3H2v4h8zm4-14h6v18h-6v-2h4V5h-4z',
  logout: 'M14 17l5-5-5-5v3H7v4h7zM4 3h7v2H6v14h5v2H4z',
  settings: 'M12 8a4 4 0 100 8 4 4 0 000-8zm9 4l-2-1 1-3-3-1-1-3-3 1-1-2h-2l-1 2-3-1-1 3-3 1 1 3-2 1v2l2 1-1 3 3 1 1 3 3-1 1 2h2l1-2 3 1 1-3 3-1-1-3 2-1z',
  shield: 'M12 2l8 3v6c0 5-3.5 9.5-8 11-4.5-1.5-8-6-8-11V5z',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z',
  exit: 'M6 6l12 12M18 6L6 18',
  globe: 'M12 2a10 10 0 100 20 10 10 0 000-20zm0 2c1.5 2 2.3 4.7 2.4 7H9.6C9.7 8.7 10.5 6 12 4zM4.1 13h3.5c.1 2.1.7 4.2 1.6 5.9A8 8 0 014.1 13zm0-2a8 8 0 015.1-5.9C8.3 6.8 7.7 8.9 7.6 11zm10.7 7.9c.9-1.7 1.5-3.8 1.6-5.9h3.5a8 8 0 01-5.1 5.9zM16.4 11c-.1-2.1-.7-4.2-1.6-5.9A8 8 0 0119.9 11z',
  key: 'M7 14a3 3 0 110-6 3 3 0 010 6zm5-4a5 5 0 10 0 4h3v3h3v-3h2v-4z',
  check: 'M9 16.2l-4.2-4.2L3.4 13.4 9 19 21 7l-1.4-1.4z',
  reply: 'M10 9V5l-7 7 7 7v-4c5 0 8.5 1.6 11 5-1-5-4-10-11-11z',
  flag: 'M5 3h2v18H5zm3 1h10l-2 4 2 4H8z',
  edit: 'M3 17.2V21h3.8l11-11-3.8-3.8zM20.7 7a1 1 0 000-1.4l-2.3-2.3a1 1 0 00-1.4 0l-1.8 1.8 3.8 3.8z',
  trash: 'M6 7h12l-1 14H7zm3-4h6l1 2h4v2H4V5h4z',
  search: 'M10 2a8 8 0 016.3 12.9l5.4 5.4-1.4 1.4-5.4-5.4A8 8 0 1110 2zm0 2a6 6 0 100 12 6 6 0 000-12z',
  pin: 'M14 2l8 8-3 1-4 4 1 5-2 2-4-6-5 6-1-1 6-5-6-4 2-2 5 1 4-4z',
  lock: 'M12 2a5 5 0 015 5v3h2v12H5V10h2V7a5 5 0 015-5zm0 2a3 3 0 00-3 3v3h6V7a3 3 0 00-3-3z',
  chat: 'M4 3h16a2 2 0 012 2v11a2 2 0 01-2 2H8l-5 4V5a2 2 0 012-2z',
  list: 'M4 5h2v2H4zm4 0h12v2H8zM4 11h2v2H4zm4 0h12v2H8zm-4 6h2v2H4zm4 0h12v2H8z',
  door: 'M6 2h12v19H6zm8 9v2h2v-2zM3 21h18v2H3z',
  scales: 'M11 3h2v16h-2zM7 19h10v2H7zM4 6h16v2H4zM4.5 8h1v6h-1zM2 14a3 3 0 006 0zM18.5 8h1v6h-1zM16 14a3 3 0 006 0z',
} as const;

export type IconName = keyof typeof iconPaths;

export function iconSprite(): string {
  const symbols = Object.entries(iconPaths).map(([name, d]) => `<symbol id="${name}" viewBox="0 0 24 24"><path d="${d}"/></symbol>`);
  return `<svg xmlns="http://www.w3.org/2000/svg">${symbols.join('')}</svg>`;
}

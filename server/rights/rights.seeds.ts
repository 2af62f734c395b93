import type { ResourceKind } from './rights.collections.js';

/**
 * What a fresh instance shows before the organisation has written anything.
 * Laws differ by country and change, and wrong legal advice can put someone
 * in a cell, so these texts give none: each says plainly that it is a
 * placeholder and lists what the organisation should cover, with a lawyer
 * who knows the local law. No phone numbers either: a wrong one is worse
 * than none.
 */
const notice = `**Placeholder: this page has not been written yet.** Do not rely on it. It gives no legal advice.

*For the organisation:* write this page together with a lawyer or legal aid group who knows the law where your members work, then replace this text. Check it again whenever the law or police practice changes.`;

export const placeholderPages: readonly { slug: string; title: string; body: string }[] = [
  {
    slug: 'arrested',
    title: 'What to do if you are arrested',
    body: `${notice}

Points to cover:

- Whether you must give your name or show an identity document, and what happens if you refuse
- Your right to stay silent, and how to say that you want a lawyer
- Who to contact: the legal support your organisation has checked, and how to reach them
- How long the police may hold you before you see a judge or are released
- What the police may and may not take or use as evidence (phone, money, condoms)
- Your rights if you are not a citizen, or your papers are not in order
- What to do afterwards: writing down what happened, getting medical care, making a complaint`,
  },
  {
    slug: 'police-harassment',
    title: 'If the police stop or harass you',
    body: `${notice}

Points to cover:

- When the police may stop you, and what they may ask
- Whether you have to answer questions, and how to refuse safely
- Bribes, threats and sexual violence by police: how to stay as safe as possible, and where to get help afterwards
- Recording or noting what happened: badge numbers, time and place, witnesses
- How and where to make a complaint, and what protection there is for the person complaining
- Support your organisation offers after an incident`,
  },
  {
    slug: 'searches',
    title: 'Your rights during a search',
    body: `${notice}

Points to cover:

- Searches of your body, your bag and your phone: what the police may do, with or without a warrant
- Who may search you (for example, an officer of the same gender)
- Searches of your home or workplace, and what a warrant must say
- Whether you have to unlock your phone or give passwords
- What to do if something is taken: getting a receipt, getting it back
- Your rights if you are searched at a border`,
  },
];

export const placeholderResource: { name: string; kind: ResourceKind; hours: string; contact: string; description: string } = {
  name: 'Example clinic (placeholder)',
  kind: 'clinic',
  hours: 'Add the opening hours you have checked.',
  contact: 'Add a public address, phone or website you have checked.',
  description:
    'Placeholder: moderators replace or delete this entry. List only services that you have checked are safe and respectful for sex workers: clinics, HIV testing, PrEP and ART, legal aid, hotlines, shelters.',
};
